"""Instruction counts of the demo step and the chain, for comparing two checkouts on a busy machine.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/instructions.py TREE none|demo|chain

Wall-clock timings move by ±20 % when other work shares the two cores; instruction counts under
callgrind do not (the same count to within 0.1 % run after run). "demo" builds micrograd's demo
model and runs 3 training steps; "chain" builds and backpropagates the 20,000-link chain twice;
"none" only imports, and is subtracted from both. Compile the trees' bytecode first
(``python -m compileall``) so neither pays for compiling.
"""

import sys

tree, what = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree)
sys.path.insert(0, tree + "/bench")
import engine_bench  # noqa: E402
import nn_bench  # noqa: E402

from nn.data import moons  # noqa: E402

if what == "demo":
    X, y = moons(100, noise=0.1, seed=0)
    step = nn_bench.demo_ours(X.tolist(), (2 * y - 1).astype(float).tolist())
    for _ in range(3):
        step()
elif what == "chain":
    from autograd_core import Value

    for _ in range(2):
        x, out = engine_bench.chain(Value, 20000)
        out.backward()
