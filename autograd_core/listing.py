"""How a compiled program shows itself: its fused steps as formulas, in text and as a drawing.

Each step is written as a formula over whole vectors of nodes, with what it fuses and the scalar
nodes it came from::

    3  v3 = θ[0:32] x + θ[32:48]    16 dot nodes over 2 inputs, as one matrix product (16×2)    #5, #9, …

By default a step's nodes are ``v3`` (step 3), the inputs ``x`` (or ``x[0:2]``, part of them) and
parameters ``θ[a:b]`` (their slots in the program's arrays). The engine knows no layers: a caller
who does passes ``names``, a function from a list of nodes to the name of that vector or matrix
(or None for the default), and the same listing reads z¹ = W¹a⁰ + b¹, a¹ = σ(z¹) (``nn.matrix_name``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from autograd_core.dot import RANKDIRS, check_choice, digraph, dot_attrs, dot_quote, html_text, num_text, table_rows
from autograd_core.steps import MatMul, Operand, Step
from autograd_core.value import Value

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

Names = Callable[[Sequence[Value]], str | None]
"""The name of a vector (or matrix) of nodes, such as "z¹" or "W²", or None for the default."""

SHOWN_NODES = 3
"""A step lists its first few nodes' names, then the last one."""

_UNARY = {"neg": "−{}", "exp": "exp({})", "log": "log({})", "tanh": "tanh({})", "sigmoid": "σ({})", "relu": "relu({})"}
_WITH_CONSTANT = {
    "+": "{x} + {c}",
    "-": "{x} − {c}",
    "rsub": "{c} − {x}",
    "*": "{x} × {c}",
    "/": "{x} / {c}",
    "rdiv": "{c} / {x}",
    "**": "{x}**{c}",
    "rpow": "{c}**{x}",
}
_BINARY = {"+": "{} + {}", "-": "{} − {}", "*": "{} ⊙ {}", "/": "{} / {}", "**": "{}**{}"}


class Program(Protocol):
    """What the listing reads of a compiled program (autograd_core.program.Program)."""

    root: Value
    inputs: tuple[Value, ...]
    parameters: tuple[Value, ...]
    steps: tuple[Step, ...]

    def name(self, node: Value) -> str: ...
    def slot(self, node: Value) -> int | None: ...
    def column(self, node: Value) -> int | None: ...


class Namer:
    """Names of vectors of nodes: the caller's ``names`` first, else v3, x[0:2], θ[4:8]."""

    def __init__(self, program: Program, names: Names | None):
        self.program = program
        self.names = names
        self.step_of = {node: step for step in program.steps for node in step.nodes}

    def __call__(self, nodes: Sequence[Value]) -> str:
        if self.names is not None:
            given = self.names(tuple(nodes))
            if given is not None:
                if not isinstance(given, str):
                    raise TypeError(f"names: expected a str or None, got {type(given).__name__}: {given!r:.60}")
                return given
        return self.default(nodes)

    def default(self, nodes: Sequence[Value]) -> str:
        program = self.program
        steps = {self.step_of.get(node) for node in nodes}
        if len(steps) == 1 and None not in steps:
            step = steps.pop()
            assert step is not None
            positions = [program.column(node) - step.out.start for node in nodes]
            return _part(f"v{step.number}", positions, len(step.nodes))
        slots = [program.slot(node) for node in nodes]
        if all(s is not None for s in slots):
            return _part("θ", slots, -1)  # type: ignore[arg-type]
        columns = [program.column(node) for node in nodes]
        if all(c is not None and c < len(program.inputs) for c in columns):
            return _part("x", columns, len(program.inputs))  # type: ignore[arg-type]
        return ", ".join(self(run) for run in self._runs(nodes))

    def _runs(self, nodes: Sequence[Value]) -> list[list[Value]]:
        """The nodes cut where their home changes (a step, the inputs, the parameters): each run has one name."""
        program = self.program

        def home(node: Value) -> object:
            step = self.step_of.get(node)
            return step if step is not None else ("θ" if program.slot(node) is not None else "x")

        runs: list[list[Value]] = []
        for node in nodes:
            if runs and home(runs[-1][-1]) == home(node):
                runs[-1].append(node)
            else:
                runs.append([node])
        return runs


def _part(name: str, positions: list[int], whole: int) -> str:
    """``name`` for all of it in order, ``name[a:b]`` for a run of it, ``name[…]`` for a gather."""
    if positions == list(range(whole)):
        return name
    if len(positions) == 1:
        return f"{name}[{positions[0]}]"
    if positions == list(range(positions[0], positions[0] + len(positions))):
        return f"{name}[{positions[0]}:{positions[-1] + 1}]"
    return f"{name}[…]"


def formula(step: Step, name: Namer) -> str:
    """The step as one formula over vectors: ``v3 = θ[0:32] x + θ[32:48]``, ``a¹ = σ(z¹)``."""
    return f"{name(step.nodes)} = {_right_side(step, name)}"


def _right_side(step: Step, name: Namer) -> str:
    reads = [name(o.nodes) for o in step.reads]
    kind = step.form[0]
    if kind == "unary":
        return _UNARY[step.op].format(reads[0])
    if kind == "const":
        return _WITH_CONSTANT[step.op].format(x=reads[0], c=_constants(step))
    if kind == "binary":
        return _BINARY[step.op].format(*reads)
    if kind == "sum":
        return f"Σ {reads[0]}" + _plus_constants(step)
    if kind == "custom":
        return f"{step.op}({reads[0]})"
    if isinstance(step, MatMul):
        matrix, vector = reads[0], reads[1]
        product = f"{matrix}{vector}" if "[" not in matrix + vector else f"{matrix} {vector}"
        return product + (f" + {reads[2]}" if len(reads) > 2 else "") + _plus_constants(step)
    return _dot(step, reads) + _plus_constants(step)


def _dot(step: Step, reads: list[str]) -> str:
    _, _, w_side, x_side, bias = step.form
    w = reads.pop(0) if w_side == "values" else "w"
    x = reads.pop(0) if x_side == "values" else "c"
    if w_side == x_side == "values" and step.reads[0].nodes == step.reads[1].nodes:
        return f"Σ {w}²"
    return f"Σ {w} ⊙ {x}" + (f" + {reads[0]}" if bias else "")


def _constants(step: Step) -> str:
    values = {float(c) for c in getattr(step, "constants", ())}
    return num_text(values.pop()) if len(values) == 1 else "c"


def _plus_constants(step: Step) -> str:
    values = {float(c) for c in getattr(step, "constants", ())}
    if values <= {0.0}:
        return ""
    return f" + {num_text(values.pop())}" if len(values) == 1 else " + c"


def summary(step: Step) -> str:
    """What a step fuses: ``16 dot nodes over 2 inputs, as one matrix product (16×2)``."""
    n = len(step.nodes)
    if isinstance(step, MatMul):
        return f"{_count(n, 'dot node')} over {_count(step.k, 'input')}, as one matrix product ({n}×{step.k})"
    if step.kind == "dot":
        return f"{_count(n, 'dot node')} of {_count(step.form[1], 'product')}"
    nodes = _count(n, f"{step.op!r} node")
    if step.kind == "sum":
        sizes = sorted({len(node.parents) for node in step.nodes})
        return f"{nodes} of {'/'.join(map(str, sizes))} term{'s' * (sizes != [1])}"
    return nodes


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def node_list(step: Step, program: Program, every_node: bool = False) -> str:
    """The scalar nodes a step came from: all of them up to a few (or ``every_node``), else the first
    few, …, the last."""
    shown = [program.name(node) for node in step.nodes]
    if len(shown) > SHOWN_NODES + 1 and not every_node:
        shown = [*shown[:SHOWN_NODES], "…", shown[-1]]
    return ", ".join(shown)


def describe(program: Program, names: Names | None = None, every_node: bool = False) -> str:
    """The listing of a program: a header, then one line per fused step."""
    name = Namer(program, names)
    rows = [(str(s.number), formula(s, name), summary(s), node_list(s, program, every_node)) for s in program.steps]
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    head = (
        f"compiled program of {program.name(program.root)!r}: {len(program.inputs)} inputs, "
        f"{len(program.parameters):,} parameters, {len(program.steps)} fused steps"
    )
    lines = [head] + [
        f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  from {r[3]}".rstrip() for r in rows
    ]
    return "\n".join(lines)


def draw_steps(program: Program, names: Names | None, rankdir: str) -> graphviz.Digraph:
    """One box per fused step (its formula, what it fuses, its nodes), a box for the inputs and one
    for each vector of parameters a step reads; an edge from what a step reads to the step."""
    check_choice("rankdir", rankdir, RANKDIRS)
    name = Namer(program, names)
    lines = ['node [shape=box style="rounded,filled" fillcolor="#f1f5f9" margin="0.1,0.05"]']
    inputs = table_rows([f"<b>{html_text(name(program.inputs))}</b>", f"{len(program.inputs)} inputs"])
    lines.append(f'x [fillcolor="#dbeafe" label=<{inputs}>]')
    for step in program.steps:
        rows = [
            f"<b>{html_text(formula(step, name))}</b>",
            html_text(summary(step)),
            html_text(node_list(step, program)),
        ]
        color = "#bbf7d0" if program.root in step.nodes else "#f1f5f9"
        lines.append(f"s{step.number} {dot_attrs({'fillcolor': dot_quote(color), 'label': f'<{table_rows(rows)}>'})}")
        sources: list[str] = []
        for k, operand in enumerate(step.reads):
            sources += [s for s in _sources(operand, program, name, f"p{step.number}_{k}", lines) if s not in sources]
        lines += [f"{source} -> s{step.number}" for source in sources]
    return digraph(rankdir, lines, f"program of {program.name(program.root)}")


def _sources(operand: Operand, program: Program, name: Namer, box: str, lines: list[str]) -> list[str]:
    """The boxes an operand reads from: steps, the inputs, and a box of its parameters (added to ``lines``)."""
    sources: list[str] = []
    params = [node for node in operand.nodes if program.slot(node) is not None]
    if params:
        label = table_rows([f"<b>{html_text(name(params))}</b>", f"{len(params)} parameters"])
        lines.append(f'{box} [fillcolor="#fde68a" label=<{label}>]')
        sources.append(box)
    for node in operand.nodes:
        column = program.column(node)
        if column is None:
            continue
        source = "x" if column < len(program.inputs) else f"s{name.step_of[node].number}"
        if source not in sources:
            sources.append(source)
    return sources
