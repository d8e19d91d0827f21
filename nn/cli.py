"""The ``backprop`` command.

    backprop demo
    backprop train --dataset moons --hidden 16,16 --activation relu --epochs 100 --plot training.png
    backprop train --preset micrograd
    backprop check --layers 4,8,8,3 --activation tanh --loss cross_entropy --samples 16 --seed 0
    backprop check --preset nielsen --backprop mine.py:backprop
    backprop graph "tanh(a*b + c)" --set a=2 b=-3 c=10 -o graph.svg
    backprop steps "tanh(a*b + c)" --set a=2 b=-3 c=10 -o steps.html

Each subcommand is two functions: ``_add_<name>`` declares its arguments and ``<name>(args)``
runs it and returns the exit status; list ``_add_<name>`` in ``SUBCOMMANDS`` to add one.
Errors in what the user typed exit with status 2 and one ``backprop: error: ...`` line on
stderr (argparse's own convention); a missing program or an unwritable file, with status 1.
Output files are checked (extension, folder) before any work is done, so none is lost. A
library error that no subcommand expected (ValueError, OverflowError, ...) still gives one
line and status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import errno
import itertools
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from autograd_core import GraphvizNotFoundError, Stepper, Value, __version__, draw, save_drawing
from autograd_core.dot import GraphvizError
from autograd_core.expr import ExpressionError, parse
from autograd_core.inputs import short

PROG = "backprop"
MAX_NODES = 1000  # an expression of MAX_LENGTH characters has fewer nodes than this
MAX_MESSAGE = 300  # an error line that quotes what was typed is cut to this length

T = TypeVar("T")


class CommandError(Exception):
    """A failure to report as ``backprop: error: <message>``, exiting with ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


EXIT_BROKEN_PIPE = 141
"""The status when whoever reads our output stops early (``backprop check --json | head -1``):
128 + SIGPIPE, what a shell reports for a C program killed by it."""
EXIT_INTERRUPTED = 130
"""The status after Ctrl-C: 128 + SIGINT."""

# Sizes refused before any work, so that a typo ends in one line, not in minutes and a MemoryError.
MAX_SAMPLES = 1_000_000  # points of a dataset made, samples of a check
MAX_EPOCHS = 1_000_000
MAX_PARAMETERS = 10_000_000  # 80 MB a copy, and an optimizer keeps a few
MAX_GRAPH = 10_000_000  # weight entries of one batch's scalar graph (parameters × samples): ~0.4 GB, ~10 s
MAX_ACTIVATIONS = 20_000_000  # numbers of one batch's z or a in the matrix engine (samples × units): 160 MB each
DEFAULT_TIMEOUT = 10.0  # seconds one call into the user's code may run (check --backprop)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: sys.argv[1:]) and return the exit status."""
    if sys.stdout is None:  # started with stdout closed (>&-): say so, rather than print into nothing
        _error("standard output is closed; send it to /dev/null to discard it")
        return 1
    with _plain_where_needed():
        try:
            status = _main(sys.argv[1:] if argv is None else list(argv))
            sys.stdout.flush()  # inside the try: a pipe closed early fails here, not at interpreter exit
        except BrokenPipeError:
            return _quiet_after_broken_pipe()
        except KeyboardInterrupt:
            _error("interrupted")
            return EXIT_INTERRUPTED
        except OSError as e:  # what the commands do not catch is writing to stdout: /dev/full, a disk full
            if e.errno == errno.EPIPE:
                return _quiet_after_broken_pipe()
            _quiet_after_broken_pipe()
            _error(f"cannot write the output: {e.strerror or e}")
            return 1
    return status


def _error(message: str) -> None:
    """One ``backprop: error:`` line on stderr (on stdout when stderr is closed: not a silent exit)."""
    print(f"{PROG}: error: {message}", file=sys.stderr if sys.stderr is not None else sys.stdout)


_SPELLINGS = (
    "∂=d δ=delta Δ=D σ=sigma Σ=sum λ=lambda η=eta θ=theta β=beta Ω=Omega π=pi ℓ=l ∇=grad −=- ·=* ×=x ÷=/ ⊙=* "
    "⊘=/ ′=' ″='' ‖=|| →=-> ←=<- ±=+- ½=1/2 ≈=~ ≤=<= ≥=>= ∞=inf …=... ✘=x ✔=ok"
)
PLAIN = dict(pair.split("=", 1) for pair in _SPELLINGS.split())
"""ASCII for the symbols the commands print, on a terminal or file that cannot show them."""


def _plain(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler "backprop-plain": each character the stream's encoding cannot show
    as its ASCII spelling (δ as delta, → as ->, subscripts as digits), else "?"."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    out = []
    for c in text:
        spelled = PLAIN.get(c) or unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
        out.append(spelled or "?")
    return "".join(out), error.end


@contextlib.contextmanager
def _plain_where_needed() -> Iterator[None]:
    """stdout and stderr write what their encoding cannot show (LANG=C, cp1252, ascii) in ASCII,
    instead of failing; their own error handling comes back afterwards."""
    codecs.register_error("backprop-plain", _plain)
    streams = [s for s in (sys.stdout, sys.stderr) if s is not None and hasattr(s, "reconfigure")]
    before = [s.errors for s in streams]
    for stream in streams:
        stream.reconfigure(errors="backprop-plain")
    try:
        yield
    finally:
        for stream, errors in zip(streams, before):
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(errors=errors)


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(_expression_last(argv))
        except SystemExit as e:  # argparse has printed the usage and its message (or the help)
            return e.code if isinstance(e.code, int) else 2
        status: int = args.run(args)
    except CommandError as e:
        print(f"{PROG}: error: {_line(str(e), limit=1000)}", file=sys.stderr)  # ours: bounded where made
        return e.status
    except (ValueError, OverflowError, ZeroDivisionError, FloatingPointError) as e:  # a safety net
        print(f"{PROG}: error: {_line(str(e))}", file=sys.stderr)
        return 1
    return status


def _line(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message as one line of at most ``limit`` characters."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages cut to a bounded excerpt of what was typed."""

    def error(self, message: str) -> Any:
        super().error(_line(message))


def _quiet_after_broken_pipe() -> int:
    """The reader is gone: say nothing more, and let Python's exit flush go to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (a test's capture): nothing to redirect
        pass
    return EXIT_BROKEN_PIPE


_EXAMPLES = """\
examples:
  backprop demo                                                    every picture (about 4 s of CPU time)
  backprop graph "tanh(a*b + c)" --set a=2 b=-3 c=10               draw it; print each input's grad
  backprop graph --set a=2 b=-3 -- "-a*b"                          an expression that starts with -
  backprop graph "x*w + b" --set x=2 w=-3 b=1 --params w,b         colour w and b as parameters
  backprop steps "tanh(a*b + c)" --set a=2 b=-3 c=10 -o steps.html step through backprop in a browser
  backprop train --dataset moons --hidden 16,16 --epochs 100 --plot training.png
  backprop train --preset micrograd                                micrograd's demo, from the shell
  backprop check --layers 4,8,8,3 --loss cross_entropy --samples 16
  backprop check --preset nielsen --backprop mine.py:backprop           check your own backprop
  backprop check --json | head -1

'backprop COMMAND --help' describes each command."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Backpropagation made visible and checkable: train an MLP, compare its scalar graph with "
        "its matrix view, draw a computation graph, step through backprop.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(commands)
    return parser


# ---- backprop graph ---------------------------------------------------------------------


def _add_graph(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "graph",
        help="draw the graph of an expression, with data, grads and local derivatives",
        description="Run backward() on the expression and draw its graph: every node's data and grad, "
        "and the local derivative d(child)/d(parent) on every edge.",
        epilog=_EXPRESSION_HELP,
    )
    _add_expression_arguments(p)
    p.add_argument(
        "-o", "--output", default="graph.svg", help="file to write: .svg, .png, .pdf or .dot (default: %(default)s)"
    )
    p.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="inputs on the left (LR) or on top (TB)")
    p.add_argument("--no-local-grads", action="store_true", help="leave the local derivatives off the edges")
    p.set_defaults(run=graph)


def graph(args: argparse.Namespace) -> int:
    _output_file(args.output, "--output")
    out = _expression(args)
    params = _parameters(out, args.params)
    _backward(out)
    show = not args.no_local_grads
    drawing = _render(
        lambda: draw(out, rankdir=args.rankdir, show_local_grads=show, parameters=params, max_nodes=MAX_NODES),
        {"show_local_grads=False": "--no-local-grads"},
    )
    _write(lambda: save_drawing(drawing, args.output), args.output)
    print(f"{out.label} = {out.data!r}")
    for leaf in _inputs(out):
        print(f"{leaf.label}.grad = {leaf.grad!r}")
    return 0


# ---- backprop steps ---------------------------------------------------------------------


def _add_steps(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "steps",
        help="write an HTML page that steps through backprop on an expression",
        description="Write a self-contained HTML page that steps through the backward pass of the expression, "
        "one node at a time, with the chain rule of each step. Open it in any browser.",
        epilog=_EXPRESSION_HELP,
    )
    _add_expression_arguments(p)
    p.add_argument("-o", "--output", default="steps.html", help="the .html file to write (default: %(default)s)")
    p.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="inputs on the left (LR) or on top (TB)")
    p.set_defaults(run=steps)


def steps(args: argparse.Namespace) -> int:
    out = _expression(args)
    _output_file(args.output, "--output", (".html", ".htm"))
    title = f"backprop steps: {args.expression}"
    params = _parameters(out, args.params)
    stepper = _render(
        lambda: Stepper(out, rankdir=args.rankdir, parameters=params, max_nodes=MAX_NODES, title=title),
        {", or leave the numbers off the edges (show_local_grads=False halves the cost)": ""},
    )
    _write(lambda: stepper.save(args.output), args.output)
    return 0


# ---- shared by the subcommands ----------------------------------------------------------

_EXPRESSION_HELP = (
    "Expressions use numbers, names, + - * / **, unary minus, and exp, log, tanh, sigmoid, relu; "
    "give every name a value with --set, before or after the expression. An expression may start "
    "with '-' (backprop graph \"-a*b\" --set a=2 b=3); if another argument is taken for it, put the "
    'expression last, after --: backprop graph --set a=2 b=3 -- "-a*b".'
)

_VALUED = ("-o", "--output", "--rankdir", "--params")
_FLAGS = ("-h", "--help", "--no-local-grads")


def _expression_last(argv: list[str]) -> list[str]:
    """For graph and steps: the expression moved to the end, after ``--``, so that it may start
    with '-' ("-a*b" is not an option) and may come after ``--set`` (whose list of NAME=NUMBER
    would otherwise swallow it). The expression is the one argument that is neither an option,
    an option's value, nor a NAME=NUMBER after --set. A NAME=NUMBER with no --set before it is
    a forgotten --set, and the error says so. Any other command line is left as it is (argparse
    then says what is wrong), and so is one that already has ``--``."""
    if not argv or argv[0] not in ("graph", "steps") or "--" in argv:
        return argv
    rest: list[str] = [argv[0]]
    found: list[str] = []
    forgot: list[str] = []
    i, in_set, had_set = 1, False, False
    while i < len(argv):
        token = argv[i]
        long_valued = token.startswith("--") and "=" not in token and any(o.startswith(token) for o in _VALUED[1:])
        if in_set and "=" in token and not token.startswith("-"):
            rest.append(token)
        elif not had_set and _ASSIGNMENT.match(token):
            forgot.append(token)
        elif token in _VALUED or (long_valued and len(token) > 2):
            in_set = False
            rest += argv[i : i + 2]
            i += 1
        elif token == "--set" or token in _FLAGS or token.startswith(("--", "-o", "-h")):
            in_set = token == "--set" or (token.startswith("--s") and "--set".startswith(token))
            had_set = had_set or in_set
            rest.append(token)
        else:
            in_set = False
            (rest if found else found).append(token)
        i += 1
    if forgot:
        shown = _line(" ".join(forgot), 200)
        raise CommandError(f"{shown}: a value needs --set before it: did you mean --set {shown}?")
    return [*rest, "--", *found] if found else argv


_ASSIGNMENT = re.compile(r"[^\W\d]\w*=")  # NAME=..., as --set takes it


def _add_expression_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expression", help='for example "tanh(a*b + c)"')
    p.add_argument(
        "--set",
        dest="values",
        metavar="NAME=NUMBER",
        nargs="+",
        action="extend",
        type=_assignment,
        default=[],
        help="the value of each name in the expression, e.g. --set a=2 b=-3",
    )
    p.add_argument(
        "--params",
        type=_names,
        default=[],
        metavar="NAMES",
        help="names to colour as parameters (weights, biases), comma-separated: --params w1,w2,b",
    )


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names like w1,w2,b, got {text!r}")
    return names


def _parameters(out: Value, names: list[str]) -> list[Value]:
    """The leaves named in --params; a name the expression does not use is an error."""
    leaves = {leaf.label: leaf for leaf in _inputs(out)}
    unknown = [name for name in names if name not in leaves]
    if unknown:
        raise CommandError(
            f"--params: the expression has no name(s) {', '.join(unknown)} (its names: {', '.join(leaves) or 'none'})"
        )
    return [leaves[name] for name in names]


def _inputs(out: Value) -> list[Value]:
    """The named leaves, in the order the expression first uses them."""
    from autograd_core.draw import reading_order

    return [node for node in reading_order(out) if not node.parents and node.label]


def _assignment(text: str) -> tuple[str, float]:
    """One NAME=NUMBER argument of --set (argparse turns the error into a usage message)."""
    name, sep, number = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {short(text)}")
    shown = short(name.strip(), 30)[1:-1]
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number after {shown}=, got {short(number)}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number after {shown}=, got {short(number)}")
    return name.strip(), value


def _expression(args: argparse.Namespace) -> Value:
    """The expression's graph, each node labelled with its subexpression, the output "out" unless it is
    a named leaf."""
    values: dict[str, float] = {}
    for name, value in args.values:
        if name in values:
            raise CommandError(f"--set gives {short(name)} twice")
        values[name] = value
    try:
        out = parse(args.expression, values, label_nodes=True)
    except ExpressionError as e:
        hint = f"; give each name a value with --set: --set {' '.join(f'{n}=NUMBER' for n in e.missing)}"
        raise CommandError(f"{short(args.expression, 40)}: {e}{hint if e.missing else ''}") from None
    if out.parents or not out.label:  # its subexpression is the whole expression, in the title already
        out.label = "out"
    return out


def _backward(out: Value) -> None:
    try:
        out.backward()
    except OverflowError as e:
        raise CommandError(str(e)) from None


def _render(make: Callable[[], T], advice: dict[str, str] | None = None) -> T:
    """make(), its failures as CommandErrors; ``advice`` rewrites the library's advice (a keyword
    argument) into what works on this command line (its flag, or nothing where it has none)."""
    try:
        return make()
    except (GraphvizNotFoundError, GraphvizError) as e:
        raise CommandError(str(e), status=1) from None
    except (ValueError, OverflowError) as e:  # too many nodes, too costly a layout; gradients that overflow
        message = str(e)
        for said, instead in (advice or {}).items():
            message = message.replace(said, instead)
        raise CommandError(message) from None


def _write(write: Callable[[], object], path: str, announce: bool = True) -> str:
    """Run write(); its failures as CommandErrors; "wrote PATH" unless not ``announce``. Returns path."""
    try:
        write()
    except (GraphvizNotFoundError, GraphvizError) as e:
        raise CommandError(str(e), status=1) from None
    except ValueError as e:  # an extension we cannot write, or too many nodes to draw
        raise CommandError(f"--output: {e}") from None
    except OSError as e:
        raise CommandError(f"cannot write {short(path)}: {e.strerror}" if e.strerror else str(e), status=1) from None
    if announce:
        print(f"wrote {path}")
    return path


_NO_PROGRESS_HELP = "no progress bar (there is none either when stderr is not a terminal)"


def _progress(args: argparse.Namespace) -> bool:
    """A progress bar unless --no-progress, and only on a terminal: redrawn with \\r, it would
    fill a log or a pipe with frames."""
    return not args.no_progress and sys.stderr is not None and sys.stderr.isatty()


# ---- backprop demo ----------------------------------------------------------------------


def _add_demo(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "demo",
        help="train on moons, compare the two views, and write every picture (about 4 s of CPU time)",
        description="Train an MLP on moons, print the scalar-vs-matrix gradient comparison with a "
        "finite-difference check, and write a graph, the neuron and matrix views, the step-through "
        "page and the training picture into a folder. It takes about 4 s of CPU time (4.0-4.1 s of wall time on a "
        "2-core machine); a first `make demo` on a fresh clone, which also builds its environment, "
        "took 18-24 s there (the README has the figures).",
    )
    p.add_argument("-o", "--output", default="demo-output", help="folder to write into (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help=_NO_PROGRESS_HELP)
    p.set_defaults(run=demo)


def demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nn.demo import run_demo

    if not args.output.strip():  # Path("") is the current folder, whose files the demo would overwrite
        raise CommandError(f"--output: expected a folder name, got {short(args.output)}")
    try:
        _, ok = run_demo(Path(args.output), progress=_progress(args))
    except OSError as e:
        raise CommandError(f"cannot write into {short(args.output)}: {e.strerror or e}", status=1) from None
    return 0 if ok else 1


# ---- backprop train ---------------------------------------------------------------------


def _add_train(commands: argparse._SubParsersAction) -> None:
    from nn.data import DATASETS
    from nn.losses import LOSSES
    from nn.module import INITS

    p = commands.add_parser(
        "train",
        help="train an MLP on a small dataset, with a progress bar",
        description="Train an MLP on a dataset with minibatch gradient descent and report the final training "
        "accuracy. The scalar engine builds a graph per batch; --engine matrix runs the four backprop "
        "equations in numpy instead (same numbers, much faster on big data). --preset micrograd runs "
        "micrograd's demo: 100 moons points, MLP(2, [16, 16, 1]) ReLU with U(-1, 1) weights, max-margin loss "
        "+ 1e-4 L2, 100 full-batch SGD steps at a rate from 1.0 down to 0.1; any flag given changes it.",
    )
    d = _TRAIN_DEFAULTS
    p.add_argument("--preset", choices=sorted(_TRAIN_PRESETS), default=None, help="a source's own training run")
    p.add_argument("--dataset", choices=sorted(DATASETS), default=None, help=f"default: {d['dataset']}")
    p.add_argument(
        "--samples",
        type=_at_most(MAX_SAMPLES),
        default=None,
        help=f"points for the 2-D datasets (default: {d['samples']})",
    )
    p.add_argument(
        "--noise", type=_non_negative, default=None, help=f"noise of the 2-D datasets (default: {d['noise']})"
    )
    p.add_argument("--hidden", type=_sizes, default=None, help="hidden layer widths, e.g. 16,16 (default: 16,16)")
    p.add_argument(
        "--activation", choices=["tanh", "relu", "sigmoid"], default=None, help=f"default: {d['activation']}"
    )
    p.add_argument(
        "--init", choices=INITS, default=None, help="initial weights (default: auto: He for ReLU, else Xavier)"
    )
    p.add_argument("--loss", choices=["auto", *LOSSES], default=None, help="default: auto (from the labels)")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default=None, help=f"default: {d['optimizer']}")
    p.add_argument("--lr", type=_positive_float, default=None, help=f"learning rate (default: {d['lr']})")
    p.add_argument(
        "--schedule",
        choices=["constant", "linear", "cosine"],
        default=None,
        help="the rate over the steps: constant, or from --lr down to --lr-end (default: constant)",
    )
    p.add_argument("--lr-end", type=_non_negative, default=None, help="the last rate of --schedule (default: 0)")
    p.add_argument(
        "--epochs", type=_at_most(MAX_EPOCHS), default=None, help=f"default: {d['epochs']} (Ctrl-C stops early)"
    )
    p.add_argument("--batch-size", type=_positive, default=None, help="default: the whole dataset, in its order")
    p.add_argument("--l2", type=_non_negative, default=None, help="L2 penalty on all parameters (default: 0)")
    p.add_argument("--engine", choices=["scalar", "matrix"], default="scalar", help="default: %(default)s")
    p.add_argument("--seed", type=_count, default=0, help="seeds the data, the weights and the batches (default: 0)")
    p.add_argument(
        "--plot", metavar="FILE", help="write the loss curve and, for 2-D data, the decision boundary (.png/.svg/.pdf)"
    )
    p.add_argument("--save", metavar="FILE", help="save the trained model (.npz or .json)")
    p.add_argument("--no-progress", action="store_true", help=_NO_PROGRESS_HELP)
    p.set_defaults(run=train)


_TRAIN_DEFAULTS: dict[str, Any] = {
    "dataset": "moons",
    "samples": 200,
    "noise": 0.1,
    "hidden": [16, 16],
    "activation": "relu",
    "init": "auto",
    "loss": "auto",
    "optimizer": "adam",
    "lr": 0.02,
    "schedule": "constant",
    "lr_end": None,
    "epochs": 100,
    "l2": 0.0,
}

_TRAIN_PRESETS: dict[str, dict[str, Any]] = {
    # micrograd's demo notebook; its network, loss and L2 are nn.matrix.PRESETS["micrograd"]'s.
    "micrograd": {
        "samples": 100,
        "init": "uniform",
        "optimizer": "sgd",
        "lr": 1.0,
        "schedule": "linear",
        "lr_end": 0.1,
        "epochs": 100,
    },
}


def _train_settings(args: argparse.Namespace) -> argparse.Namespace:
    """The flags given, then the preset's (its network, loss and L2 from nn.matrix.PRESETS), then the defaults."""
    from nn.matrix import PRESETS

    settings = dict(_TRAIN_DEFAULTS)
    if args.preset:
        network = PRESETS[args.preset]
        if args.activation and network.hidden and args.activation != network.hidden:
            raise CommandError(f"--preset {args.preset} needs --activation {network.hidden}, got {args.activation}")
        settings.update(
            hidden=list(network.sizes[1:-1]),
            activation=network.hidden or network.activation,
            loss=network.conventions.loss,
            l2=network.conventions.l2,
            **_TRAIN_PRESETS[args.preset],
        )
    given = {key: value for key, value in vars(args).items() if key in settings and value is not None}
    settings.update(given)
    if settings["schedule"] == "constant" and "lr_end" in given:
        raise CommandError("--lr-end goes with --schedule linear or cosine")
    return argparse.Namespace(**{**vars(args), **settings})


def train(args: argparse.Namespace) -> int:
    import warnings

    import numpy as np

    import nn
    from nn.data import DATASETS
    from nn.matrix import MatrixMLP
    from nn.train import resolve_loss

    args = _train_settings(args)
    if args.plot:
        _output_file(args.plot, "--plot", (".png", ".svg", ".pdf"))
        _plotting_available()
    if args.save:
        _output_file(args.save, "--save", (".npz", ".json"))
    X, y = _dataset(DATASETS[args.dataset], args)
    outputs = _output_units(args.loss, int(y.max()) + 1, args.dataset)
    batch = min(args.batch_size or len(X), len(X))
    _within_limits([X.shape[1], *args.hidden, outputs], batch, "--hidden", "--batch-size", args.engine)
    model = nn.MLP(X.shape[1], [*args.hidden, outputs], activation=args.activation, init=args.init, seed=args.seed)
    loss = resolve_loss(args.loss, y, model.sizes[-1])
    full_batch = args.batch_size is None or args.batch_size >= len(X)
    lr = _schedule(args, 1 if full_batch else -(-len(X) // args.batch_size))
    try:
        trained = MatrixMLP.from_mlp(model, loss=loss, l2=args.l2, l2_on="all") if args.engine == "matrix" else model
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="fit: ")  # said below, in one line
            history = nn.fit(
                trained,
                X,
                y,
                loss=loss,
                optimizer=args.optimizer,
                lr=lr,
                epochs=args.epochs,
                batch_size=args.batch_size,
                l2=args.l2,
                shuffle=not full_batch,  # the mean over the whole set: its order would change only the rounding
                seed=args.seed,
                progress=_progress(args),
            )
    except ValueError as e:
        raise CommandError(str(e)) from None
    if isinstance(trained, MatrixMLP):
        model = trained.to_mlp()
    written = []  # everything is written before anything is printed: a failing stdout loses nothing
    if args.save and not history.diverged:
        written.append(_write(lambda: nn.save(model, args.save), args.save, announce=False))
    if args.plot and len(history):
        from nn.plot import save_figure, training_figure

        try:
            fig = training_figure(history, model, X, y)
        except ImportError as e:
            raise CommandError(str(e), status=1) from None
        written.append(_write(lambda: save_figure(fig, args.plot), args.plot, announce=False))
    _summary(model, args, len(X), loss, history)
    for path in written:
        print(f"wrote {path}")
    if history.diverged:
        unsaved = f"; {args.save} was not written" if args.save else ""
        raise CommandError(f"training diverged {history.diverged}; try a smaller --lr{unsaved}", status=1)
    if history.interrupted:
        raise CommandError(f"interrupted after {len(history)} of {args.epochs} epochs", status=EXIT_INTERRUPTED)
    return 0 if np.isfinite(history.loss[-1]) else 1


def _summary(model: Any, args: argparse.Namespace, n: int, loss: str, history: Any) -> None:
    """What was trained, and the final loss and accuracy (of the epochs completed)."""
    done = len(history)
    epochs = f"{args.epochs} epoch{'' if args.epochs == 1 else 's'}"
    rate = f"lr {args.lr:g}" + ("" if args.schedule == "constant" else f" → {args.lr_end or 0:g} ({args.schedule})")
    l2 = f", l2 {args.l2:g}" if args.l2 else ""
    run = epochs if done == args.epochs else f"{done} of {epochs}"
    print(f"{model!r} on {args.dataset} ({n} samples), {loss}{l2}, {run}, {args.optimizer} {rate}")
    if done:
        acc = history.accuracy[-1]
        print(f"final training loss {history.loss[-1]:.4g}" + ("" if acc is None else f", accuracy {100 * acc:.1f}%"))


def _schedule(args: argparse.Namespace, steps_per_epoch: int) -> Any:
    """--lr as a number, or the --schedule from --lr to --lr-end over every step of the run."""
    from nn import schedules

    if args.schedule == "constant":
        return args.lr
    make = schedules.linear if args.schedule == "linear" else schedules.cosine
    return make(args.lr, args.lr_end or 0.0, args.epochs * steps_per_epoch)


def _output_units(loss: str, classes: int, dataset: str) -> int:
    """The width of the output layer: one unit per class for softmax cross-entropy (and for
    "auto" with three or more classes), else one unit."""
    if loss == "cross_entropy" or (loss == "auto" and classes > 2):
        return max(classes, 2)
    if classes > 2:
        raise CommandError(
            f"--loss {loss} needs two classes (one output unit), and {dataset} has {classes}: "
            "use --loss cross_entropy (or auto)"
        )
    return 1


def _plotting_available() -> None:
    """Say that matplotlib is missing before training, not after."""
    from nn.plot import figure_class

    try:
        figure_class()
    except ImportError as e:
        raise CommandError(str(e), status=1) from None


def _output_file(path: str, option: str, extensions: tuple[str, ...] = ()) -> None:
    """Check a file to write before any work is done: its extension and its folder."""
    if extensions and not path.lower().endswith(extensions):
        names = ", ".join(extensions[:-1]) + f" or {extensions[-1]}" if len(extensions) > 1 else extensions[0]
        raise CommandError(f"{option}: expected a file name ending in {names}, got {short(path)}")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CommandError(f"{option}: {short(path)} is a folder; expected a file name")
    if not os.path.isdir(folder):
        raise CommandError(f"{option}: the folder {short(folder)} does not exist", status=1)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"{option}: cannot write into the folder {short(folder)}", status=1)


def _within_limits(sizes: list[int], batch: int, units: str, batches: str, engine: str = "scalar") -> None:
    """Refuse, before any work, a network or a batch too big for the time and memory a command may
    take (the MAX_* constants), naming the options that make it smaller: ``units`` the network's
    widths, ``batches`` the batch size."""
    net = ",".join(map(str, sizes))
    params = sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))  # with biases
    if params > MAX_PARAMETERS:
        raise CommandError(
            f"the network {net} has {params:,} parameters; the limit is {MAX_PARAMETERS:,} (use fewer units in {units})"
        )
    if engine == "scalar" and params * batch > MAX_GRAPH:
        matrix = ", or --engine matrix" if batches == "--batch-size" else ""
        raise CommandError(
            f"the scalar graph of one batch would hold {params * batch:,} weight entries ({batch:,} samples × "
            f"{params:,} parameters of {net}); the limit is {MAX_GRAPH:,} (use fewer units in {units} or a smaller "
            f"{batches}{matrix})"
        )
    if engine == "matrix" and batch * max(sizes) > MAX_ACTIVATIONS:
        raise CommandError(
            f"one batch of {batch:,} samples through {net} holds {batch * max(sizes):,} numbers in its widest layer; "
            f"the limit is {MAX_ACTIVATIONS:,} (use a smaller {batches} or fewer units in {units})"
        )


def _dataset(make: Callable[..., tuple], args: argparse.Namespace) -> tuple:
    if args.dataset == "digits":
        try:
            X, y = make()
        except ImportError as e:
            raise CommandError(str(e), status=1) from None
        return X / 16.0, y  # pixels 0..16 to [0, 1]
    try:
        return make(n=args.samples, noise=args.noise, seed=args.seed)
    except ValueError as e:
        raise CommandError(str(e)) from None


# ---- backprop check ---------------------------------------------------------------------


def _add_check(commands: argparse._SubParsersAction) -> None:
    from nn.losses import LOSSES
    from nn.matrix import LAYOUTS, PRESETS, W_LAYOUTS
    from nn.notation import NOTATIONS

    p = commands.add_parser(
        "check",
        help="compare the scalar graph and the matrix view of an MLP (or your own backprop), layer by layer",
        description="Build an MLP with random weights (and random nonzero biases) and a random batch, then "
        "compare the scalar graph's gradients with the matrix view's four equations, entry by entry, "
        "plus central differences on sampled parameters (and PyTorch when installed). With --backprop, "
        "your own backprop function is checked instead, against all three. Exits 0 only when everything agrees.",
        epilog="--backprop imports FILE.py and runs it, and then your function: it is your code, run at your "
        "request, with the permissions of this command. The batch form is FUNCTION(weights, biases, X, Y) -> "
        "(dW, db) or (dW, db, deltas), arrays laid out by the conventions (see nn/handwritten.py); "
        "--form nielsen takes a Network's method, FILE.py:net.backprop, and --form udl a "
        "backward_pass(all_weights, all_biases, all_f, all_h, y) with --forward.",
    )
    p.add_argument(
        "--layers", type=_sizes, default=None, help="widths from input to output (default: the preset's, else 4,8,8,3)"
    )
    p.add_argument(
        "--activation",
        choices=["tanh", "relu", "sigmoid", "linear"],
        default=None,
        help="default: the preset's, else tanh",
    )
    p.add_argument("--loss", choices=list(LOSSES), default=None, help="default: the preset's, else mse")
    p.add_argument("--reduction", choices=["mean", "sum"], default=None, help="default: the preset's, else mean")
    p.add_argument("--preset", choices=list(PRESETS), default=None, help="a source's conventions, network and sizes")
    p.add_argument(
        "--samples", type=_at_most(MAX_SAMPLES), default=8, help="samples in the batch (default: %(default)s)"
    )
    p.add_argument("--numeric", type=_count, default=60, help="parameters checked by central differences (default: 60)")
    p.add_argument("--no-torch", action="store_true", help="leave out the PyTorch column")
    p.add_argument("--seed", type=_count, default=0, help="seeds the weights and the batch (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--backprop", metavar="FILE.py:FUNCTION", help="check your own backprop function (runs your file)")
    p.add_argument(
        "--form",
        choices=["batch", "nielsen", "udl"],
        default="batch",
        help="the shape of your function (default: batch)",
    )
    p.add_argument("--forward", metavar="FUNCTION", help="with --form udl: the forward pass in the same file")
    p.add_argument("--cost", metavar="FUNCTION", help="your cost in the same file: central differences are taken on it")
    p.add_argument(
        "--notation",
        choices=list(NOTATIONS),
        default=None,
        help="print the rows in a source's symbols (default: the preset's)",
    )
    p.add_argument(
        "--timeout",
        type=_non_negative,
        default=None,
        metavar="SECONDS",
        help=f"stop your code when one call of it runs longer than this (default: {DEFAULT_TIMEOUT:g}; 0: no limit)",
    )
    conventions = p.add_argument_group("conventions", "each overrides the preset's (or the default)")
    conventions.add_argument("--layout", choices=list(LAYOUTS), default=None, help="samples in columns or rows")
    conventions.add_argument("--w-layout", choices=list(W_LAYOUTS), default=None, help="W as (out, in) or (in, out)")
    conventions.add_argument(
        "--mse-half", action=argparse.BooleanOptionalAction, default=None, help="C_n = ½‖a − y‖² (not ‖a − y‖²)"
    )
    conventions.add_argument("--l2", type=_non_negative, default=None, help="an L2 penalty l2 · Σ w² on the weights")
    conventions.add_argument(
        "--relu-grad-at-zero", type=float, choices=[0.0, 0.5, 1.0], default=None, metavar="{0,0.5,1}", help="ReLU'(0)"
    )
    p.set_defaults(run=check)


def check(args: argparse.Namespace) -> int:
    from nn import user_code
    from nn.matrix import PRESETS

    preset = PRESETS.get(args.preset) if args.preset else None
    sizes = args.layers or (list(preset.sizes) if preset else [4, 8, 8, 3])
    if len(sizes) < 2:
        raise CommandError(f"--layers: expected at least two widths (input and output), got {sizes}")
    activation = args.activation or (preset.hidden or preset.activation if preset else "tanh")
    if preset and preset.hidden and activation != preset.hidden:
        raise CommandError(f"--preset {args.preset} needs --activation {preset.hidden}, got {activation}")
    loss = args.loss or (preset.conventions.loss if preset else "mse")
    if loss in ("binary_cross_entropy", "hinge") and sizes[-1] != 1:
        raise CommandError(f"--loss {loss} needs one output unit (--layers ...,1), got {sizes[-1]}")
    if loss == "cross_entropy" and sizes[-1] < 2:
        raise CommandError(f"--loss cross_entropy needs two or more output units, got {sizes[-1]}")
    _within_limits(sizes, args.samples, "--layers", "--samples")
    try:
        with user_code.time_limit(_timeout(args)):
            return _check(args, preset, sizes, activation, loss)
    except user_code.UserCodeError as e:
        raise CommandError(f"--backprop: {e}", status=1) from None
    except KeyboardInterrupt as e:
        place = user_code.where(e) if args.backprop else ""
        raise CommandError(f"interrupted{' in your code' + place if place else ''}", status=EXIT_INTERRUPTED) from None


def _check(args: argparse.Namespace, preset: Any, sizes: list[int], activation: str, loss: str) -> int:
    import json

    import numpy as np

    import nn
    from nn.compare import compare_gradients
    from nn.handwritten import BackpropError

    backprop, cost = _user_functions(args)
    model = nn.MLP(
        sizes[0],
        sizes[1:],
        activation=activation,
        seed=args.seed,
        output_activation=preset.output if preset else "linear",
        bias=preset.bias if preset else True,
    )
    rng = np.random.default_rng(args.seed)
    for b in model.biases():
        b.data = float(rng.uniform(-0.5, 0.5))  # nonzero biases keep ReLU inputs off their kink
    X = rng.normal(size=(args.samples, sizes[0]))
    Y = _random_targets(rng, loss, args.samples, sizes[-1], preset is not None and preset.output == "sigmoid")
    try:
        report = compare_gradients(
            model,
            X,
            Y,
            loss=loss,
            reduction=args.reduction,
            preset=args.preset,
            numeric=args.numeric,
            torch=False if args.no_torch else None,
            seed=args.seed,
            notation=args.notation or (preset.notation if preset else None),
            layout=args.layout,
            w_layout=args.w_layout,
            mse_half=args.mse_half,
            l2=args.l2,
            relu_grad_at_zero=args.relu_grad_at_zero,
            **({"backprop": backprop, "cost": cost} if backprop is not None else {}),
        )
    except BackpropError as e:
        raise CommandError(f"--backprop: {e}", status=1) from None
    except ValueError as e:
        raise CommandError(str(e)) from None
    print(json.dumps(report.to_dict(), indent=1) if args.json else report)
    return 0 if report.ok else 1


def _user_functions(args: argparse.Namespace) -> tuple[Any, Any]:
    """The user's backprop (adapted to its --form) and cost, loaded from their file."""
    from nn import handwritten

    extras = [f for f in ("forward", "cost") if getattr(args, f)]
    if args.backprop is None:
        if extras or args.form != "batch":
            raise CommandError(f"--{extras[0] if extras else 'form'} goes with --backprop")
        return None, None
    file = args.backprop.rpartition(":")[0]

    def load(spec: str, what: str) -> Any:
        try:
            return handwritten.load_function(spec)
        except ValueError as e:
            raise CommandError(f"{what}: {e}") from None

    fn = load(args.backprop, "--backprop")
    cost = load(f"{file}:{args.cost}", "--cost") if args.cost else None
    if args.form == "udl":
        if not args.forward:
            raise CommandError("--form udl needs --forward FUNCTION (the forward pass, in the same file)")
        forward = load(f"{file}:{args.forward}", "--forward")
        return handwritten.udl(fn, forward=forward, cost=cost), None
    if args.forward:
        raise CommandError("--forward goes with --form udl")
    if args.form == "nielsen":
        try:
            return handwritten.nielsen(fn, cost=cost), None
        except TypeError as e:
            raise CommandError(f"--backprop: {e}") from None
    return fn, cost


def _timeout(args: argparse.Namespace) -> float | None:
    """The time limit of one call into the user's code: --timeout, 0 for none; by default
    DEFAULT_TIMEOUT where it can be kept (see nn.user_code.time_limit)."""
    from nn.user_code import can_time_out

    if args.backprop is None or args.timeout == 0:
        return None
    if args.timeout is None:
        return DEFAULT_TIMEOUT if can_time_out() else None
    if not can_time_out():
        raise CommandError("--timeout needs SIGALRM (a POSIX system); give --timeout 0 for none", status=1)
    return float(args.timeout)


def _random_targets(rng: Any, loss: str, n: int, k: int, unit_interval: bool) -> Any:
    if loss == "cross_entropy":
        return rng.integers(0, k, n)
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (n, 1)).astype(float)
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, 1))
    return rng.uniform(0, 1, (n, k)) if unit_interval else rng.normal(size=(n, k))


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive ints like 16,16, got {short(text)}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive ints like 16,16, got {short(text)}")
    return sizes


def _positive(text: str) -> int:
    n = _int(text, "a positive int")
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {short(text)}")
    return n


def _at_most(limit: int) -> Callable[[str], int]:
    """The argparse type of a positive int of at most ``limit``."""

    def positive_at_most(text: str) -> int:
        n = _positive(text)
        if n > limit:
            raise argparse.ArgumentTypeError(f"expected a positive int of at most {limit:,}, got {short(text)}")
        return n

    return positive_at_most


def _count(text: str) -> int:
    """An int >= 0: a seed, or a number of entries to check."""
    n = _int(text, "an int >= 0")
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {short(text)}")
    return n


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {short(text)}") from None


def _positive_float(text: str) -> float:
    x = _float(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {short(text)}")
    return x


def _non_negative(text: str) -> float:
    x = _float(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {short(text)}")
    return x


def _float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {short(text)}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {short(text)}")
    return x


SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_demo,
    _add_train,
    _add_check,
    _add_graph,
    _add_steps,
)


if __name__ == "__main__":
    sys.exit(main())
