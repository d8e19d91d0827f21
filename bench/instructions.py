"""Instruction counts of the demo step and the chain, for comparing two checkouts on a busy machine.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/instructions.py TREE WHAT [N]

WHAT is one of none, demo, chain, gradient.

Wall-clock timings move by ±20 % when other work shares the two cores; instruction counts under
callgrind do not (the same count to within 0.1 % run after run). "demo" builds micrograd's demo
model and runs 3 training steps; "chain" builds and backpropagates the 20,000-link chain twice;
"gradient" takes the 64-32-10 one-sample gradient 50 times; "none" only imports, and is
subtracted from the others. Compile the trees' bytecode first (``python -m compileall``) so
neither pays for compiling, and set PYTHONHASHSEED=0 and run under ``setarch -R`` (no address
randomization) for counts that repeat: set and dict lookups depend on hashes and addresses.

N, when given, replaces the number of repeats (3 steps, 2 chains, 50 gradients). Two counts with
different N (4 and 1 steps, say) differ by the cost of the extra repeats alone, with the imports,
the model's construction and the first call's warm-up subtracted out: steadier than subtracting
"none", whose count moves with the memory layout of the imports.
"""

import sys

tree, what = sys.argv[1], sys.argv[2]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else {"demo": 3, "gradient": 50, "chain": 2}.get(what, 0)
sys.path.insert(0, tree)
sys.path.insert(0, tree + "/bench")
import engine_bench  # noqa: E402
import nn_bench  # noqa: E402

from nn.data import moons  # noqa: E402

if what == "demo":
    X, y = moons(100, noise=0.1, seed=0)
    step = nn_bench.demo_ours(X.tolist(), (2 * y - 1).astype(float).tolist())
    for _ in range(repeats):
        step()
elif what == "gradient":
    x = [float((7 * k) % 17) for k in range(64)]  # a digits-like sample: pixels 0..16
    step = nn_bench.gradient_ours(x, 3)
    for _ in range(repeats):
        step()
elif what == "chain":
    from autograd_core import Value

    for _ in range(repeats):
        x, out = engine_bench.chain(Value, 20000)
        out.backward()
