"""`python -m autograd_core`: a walkthrough of one backward pass, node by node.

A single tanh neuron, o = tanh(x1*w1 + x2*w2 + b): build it, run backward, then print every
node in the order backward() visits it, with the chain rule it applied, and a gradient check.
"""

from __future__ import annotations

from autograd_core import Value, gradcheck, topological_order


def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1w1+x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def _name(node: Value) -> str:
    return node.label or f"({node.op})"


def main() -> None:
    inputs = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.881373587}
    leaves = [Value(v, label=k) for k, v in inputs.items()]
    o = neuron(*leaves)
    o.backward()

    print("o = tanh(x1*w1 + x2*w2 + b), then o.backward()\n")
    print("Nodes in the order backward() visits them; each passes its grad to its parents:")
    print("    parent.grad += d(node)/d(parent) * node.grad\n")
    header = f"{'node':<10} {'op':<6} {'data':>10} {'grad':>10}   chain rule applied"
    print(header)
    print("-" * len(header))
    for node in reversed(topological_order(o)):
        name = _name(node)
        print(f"{name:<10} {node.op or 'leaf':<6} {node.data:>10.4f} {node.grad:>10.4f}", end="")
        if not node.parents:
            print("   (a leaf: its grad is d o / d " + name + ")")
            continue
        rules = [f"{_name(p)}.grad += {lg:.4f} × {node.grad:.4f}" for p, lg in zip(node.parents, node.local_grads)]
        print("   " + "\n".ljust(43).join(rules))

    print("\nGradient check: backward() against central differences")
    report = gradcheck(lambda *xs: neuron(*xs), leaves)
    print(report)


if __name__ == "__main__":
    main()
