"""Checking a hand-written backprop: the forms people write, what comes back, and each classic
mistake injected into a correct backprop and named by the report."""

import contextlib
import itertools
import json
import signal
import sys
import threading

import numpy as np
import pytest

from nn import MLP
from nn.compare import compare_gradients
from nn.handwritten import BackpropError, nielsen, udl
from nn.matrix import preset_mlp
from nn.user_code import UserCodeError, UserCodeTimeout


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


def randomize_biases(model, seed=0):
    rng = np.random.default_rng(seed)
    for b in model.biases():
        b.data = float(rng.uniform(-0.5, 0.5))


# ---- a batch backprop in the column convention, with a switch for each classic mistake ----------
def batch_backprop(output="sigmoid", loss="mse", half=True, mean=True, mistake=None):
    """BP1-BP4 for a sigmoid network (output sigmoid or linear), samples in columns."""

    def f(z, layer, L):
        return sigmoid(z) if layer < L - 1 or output == "sigmoid" else z

    def fp(z, a, layer, L):
        if layer == L - 1 and output == "linear":
            return np.ones_like(z)
        arg = a if mistake == "fprime_at_a" else z
        return sigmoid_prime(arg)

    def backprop(weights, biases, X, Y):
        L, N = len(weights), X.shape[1]
        a, As, Zs = X, [X], []
        for l, (W, b) in enumerate(zip(weights, biases)):
            z = W @ a + b[:, None]
            a = f(z, l, L)
            Zs.append(z)
            As.append(a)
        if loss == "cross_entropy":
            P = np.exp(Zs[-1] - Zs[-1].max(axis=0))
            P /= P.sum(axis=0)
            D = P - Y
            if mistake == "fused_fprime":
                D = D * P * (1 - P)
        else:
            grad_a = (Y - As[-1]) if mistake == "sign" else (As[-1] - Y)
            if not half or mistake == "half":
                grad_a = 2 * grad_a
            D = grad_a * fp(Zs[-1], As[-1], L - 1, L)
        if mean and mistake != "sum_vs_mean":
            D = D / N
        dW, db, deltas = [None] * L, [None] * L, [None] * L
        for l in range(L - 1, -1, -1):
            deltas[l] = D
            previous = D
            if l > 0:
                W = weights[l] if mistake == "W_not_transposed" else weights[l].T
                factor = fp(Zs[l - 1], As[l], l - 1, L)
                if mistake == "fprime_missing":
                    factor = 1.0
                if mistake == "fprime_twice":
                    factor = factor * factor
                D = (W @ D) * factor
            dW[l] = previous @ As[l].T
            if mistake == "dW_transposed":
                dW[l] = dW[l].T
            db[l] = previous if mistake == "bias_not_summed" else previous.sum(axis=1)
        if mistake == "wrong_delta_bp4":  # ∂C/∂W^l computed with δ^{l+1}, before BP2 stepped down
            dW = [deltas[l + 1] @ As[l].T if l < L - 1 else dW[l] for l in range(L)]
        return dW, db

    return backprop


def nielsen_batch(sizes=(4, 4, 4, 4), n=5, seed=1):
    model = preset_mlp("nielsen", list(sizes), seed=seed)
    randomize_biases(model, seed)
    rng = np.random.default_rng(seed)
    return model, rng.normal(size=(n, sizes[0])), rng.uniform(size=(n, sizes[-1]))


def test_a_correct_batch_backprop_passes_every_column():
    model, X, Y = nielsen_batch((3, 5, 4, 2))
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=batch_backprop())
    assert report.ok, str(report)
    assert report.under_test == "your backprop" and not report.hints and not report.mistakes
    text = str(report)
    assert "scalar graph (reference) vs your backprop" in text
    assert "result: PASS: your backprop agrees with the scalar graph, central differences" in text
    assert [(r.layer, r.quantity) for r in report.rows][:3] == [(3, "dW"), (3, "db"), (2, "dW")]


def test_rows_layout_and_in_out_weights_are_what_the_function_gets():
    model = MLP(3, [4, 2], activation="tanh", seed=2)
    randomize_biases(model)
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))

    def backprop(weights, biases, X, Y):  # X @ W style: samples in rows, W as (n_in, n_out)
        W1, W2 = weights
        assert W1.shape == (3, 4) and biases[0].shape == (4,) and X.shape == (6, 3) and Y.shape == (6, 2)
        z1 = X @ W1 + biases[0]
        a1 = np.tanh(z1)
        out = a1 @ W2 + biases[1]
        d2 = (out - Y) / len(X)  # ½ ‖a − y‖², mean
        d1 = (d2 @ W2.T) * (1 - a1**2)
        return [X.T @ d1, a1.T @ d2], [d1.sum(axis=0), d2.sum(axis=0).reshape(-1, 1)], [d1, d2]

    def cost(weights, biases, X, Y):
        out = np.tanh(X @ weights[0] + biases[0]) @ weights[1] + biases[1]
        return 0.5 * np.sum((out - Y) ** 2) / len(X)

    report = compare_gradients(
        model, X, Y, loss="mse", mse_half=True, layout="rows", w_layout="in_out", backprop=backprop, cost=cost
    )
    assert report.ok, str(report)
    quantities = [r.quantity for r in report.rows]
    assert quantities[:4] == ["loss", "delta", "dW", "db"]  # your cost and δ are checked too


# ---- the forms people already have -----------------------------------------------------------
class Network:
    """Our own code in the shape of Nielsen's network.py: biases as columns, backprop(x, y)."""

    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [rng.normal(size=(y, 1)) for y in sizes[1:]]
        self.weights = [rng.normal(size=(y, x)) for x, y in itertools.pairwise(sizes)]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return (nabla_b, nabla_w)


def test_nielsens_backprop_method_passes_as_it_is():
    model, X, Y = nielsen_batch((2, 3, 2))
    net = Network([2, 3, 2], seed=5)
    own_weights = net.weights
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=net.backprop)
    assert report.ok, str(report)
    assert net.weights is own_weights  # the network's own arrays are put back


def test_nielsen_adapter_with_a_cost_and_with_a_factory():
    model, X, Y = nielsen_batch((2, 3, 2))
    net = Network([2, 3, 2])
    report = compare_gradients(
        model, X, Y, preset="nielsen", backprop=nielsen(net.backprop, cost=lambda a, y: 0.5 * np.sum((a - y) ** 2))
    )
    assert report.ok, str(report)
    assert report.rows[0].quantity == "loss" and report.rows[0].close

    def factory(weights, biases):
        other = Network([2, 3, 2])
        other.weights, other.biases = weights, biases
        return other.backprop

    assert compare_gradients(model, X, Y, preset="nielsen", backprop=nielsen(factory=factory)).ok


def test_a_network_of_other_sizes_is_refused_clearly():
    model, X, Y = nielsen_batch((2, 3, 2))
    with pytest.raises(BackpropError, match=r"the network object's weights have shapes \[\(4, 2\), \(2, 4\)\]"):
        compare_gradients(model, X, Y, preset="nielsen", backprop=Network([2, 4, 2]).backprop)


def relu(z):
    return z.clip(0.0)


def indicator_function(z):
    return (z > 0).astype(float)


def compute_network_output(net_input, all_weights, all_biases):
    """Our own code in the shape of the UDL notebook 7.2 forward pass: f_k = β_k + Ω_k h_k."""
    K = len(all_weights) - 1
    all_f, all_h = [None] * (K + 1), [None] * (K + 1)
    all_h[0] = net_input
    for layer in range(K):
        all_f[layer] = all_biases[layer] + np.matmul(all_weights[layer], all_h[layer])
        all_h[layer + 1] = relu(all_f[layer])
    all_f[K] = all_biases[K] + np.matmul(all_weights[K], all_h[K])
    return all_f[K], all_f, all_h


def backward_pass(all_weights, all_biases, all_f, all_h, y):
    """... and its backward pass, layer K down to 0, for the least-squares loss."""
    K = len(all_weights) - 1
    all_dl_dweights, all_dl_dbiases = [None] * (K + 1), [None] * (K + 1)
    all_dl_df, all_dl_dh = [None] * (K + 1), [None] * (K + 1)
    all_dl_df[K] = 2 * (all_f[K] - y)
    for layer in range(K, -1, -1):
        all_dl_dbiases[layer] = np.array(all_dl_df[layer])
        all_dl_dweights[layer] = np.matmul(all_dl_df[layer], all_h[layer].T)
        all_dl_dh[layer] = np.matmul(all_weights[layer].T, all_dl_df[layer])
        if layer > 0:
            all_dl_df[layer - 1] = indicator_function(all_f[layer - 1]) * all_dl_dh[layer]
    return all_dl_dweights, all_dl_dbiases


def test_udl_backward_pass_passes_through_the_adapter():
    model = preset_mlp("udl_relu", [3, 6, 6, 2], seed=3)
    randomize_biases(model, 3)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    least_squares = lambda out, y: np.sum((out - y) ** 2)  # noqa: E731
    adapted = udl(backward_pass, forward=compute_network_output, cost=least_squares)
    report = compare_gradients(model, X, Y, preset="udl_relu", backprop=adapted)
    assert report.ok, str(report)
    assert report.rows[0].quantity == "loss"
    assert "∂L_i/∂W_2" in str(compare_gradients(model, X, Y, preset="udl_relu", backprop=adapted, notation="udl"))


# ---- what comes back is checked ----------------------------------------------------------------
def returning(dW, db):
    return lambda weights, biases, X, Y: (dW(weights), db(biases))


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda W, b, X, Y: [*W, *b], r"backprop returned a list of length 4; expected \(dW, db\)"),
        (lambda W, b, X, Y: 3.0, r"backprop returned a float; expected \(dW, db\)"),
        (returning(lambda W: W[:1], lambda b: b), r"dW: expected 2 arrays, one per layer \(layer 1 first\), got 1"),
        (returning(lambda W: W, lambda b: None), r"db: expected 2 bias gradients"),
        (returning(lambda W: W[0], lambda b: b), r"dW: expected a list of 2 arrays .* got one array of shape \(4, 3\)"),
        (lambda W, b, X, Y: ([np.zeros(4), np.zeros(2)], W), r"backprop returned \(db, dW\)"),
    ],
)
def test_what_cannot_be_compared_is_refused_with_what_was_expected(fn, message):
    model = MLP(3, [4, 2], seed=0)
    X, Y = np.ones((2, 3)), np.zeros((2, 2))
    with pytest.raises(BackpropError, match=message):
        compare_gradients(model, X, Y, backprop=fn)


@pytest.mark.parametrize(
    "dW, note",
    [
        (lambda W: [W[0].T, W[1]], r"∂C/∂W1: expected shape (4, 3) (W layout out_in), got (3, 4) (the transpose)"),
        (lambda W: [W[0][:2], W[1]], r"∂C/∂W1: expected shape (4, 3) (W layout out_in), got (2, 3)"),
        (lambda W: [W[0] * np.nan, W[1]], "∂C/∂W1: 12 non-finite entries (nan or inf)"),
    ],
)
def test_a_misshaped_or_non_finite_gradient_fails_its_row_with_a_note(dW, note):
    model = MLP(3, [4, 2], seed=0)
    X, Y = np.ones((2, 3)), np.zeros((2, 2))
    report = compare_gradients(model, X, Y, backprop=returning(dW, lambda b: b), torch=False)
    row = next(r for r in report.rows if (r.layer, r.quantity) == (1, "dW"))
    assert not row.close and row.note == note and not report.ok
    assert note in str(report)
    assert "✘" in report._repr_html_() and "your backprop disagrees" in report._repr_html_()
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d and d["ok"] is False and d["under_test"] == "your backprop"


# ---- each classic mistake, injected, is named ----------------------------------------------------
MISTAKES = [
    ("dW_transposed", "matches after transposing"),
    ("fprime_missing", "the activation derivative is missing in BP2"),
    ("fprime_twice", "the activation derivative is applied twice in BP2"),
    ("fprime_at_a", "f′ is evaluated at a instead of z"),
    ("W_not_transposed", "BP2 multiplies by W^{l+1} where it needs the transpose"),
    ("sign", "the wrong sign"),
    ("sum_vs_mean", "off by a constant factor 5 ≈ N (N=5): it could be a sum over the batch where the conventions"),
    ("half", "off by a constant factor 2 ≈ 2: it could be the ½ in the squared error"),
    ("wrong_delta_bp4", "BP4 uses the δ of the wrong layer"),
    ("bias_not_summed", "the bias gradient is not summed over the batch"),
]
KEYS = {
    "fprime_missing": "fprime_missing_bp2",
    "fprime_twice": "fprime_twice_bp2",
    "sum_vs_mean": "constant_factor",
    "half": "constant_factor",
    "wrong_delta_bp4": "bp4_next_delta",
}


@pytest.mark.parametrize("mistake, words", MISTAKES)
def test_each_classic_mistake_gets_a_hint_that_names_it(mistake, words):
    model, X, Y = nielsen_batch()  # square layers, so every mistake runs
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=batch_backprop(mistake=mistake))
    assert not report.ok
    assert report.mistakes == [KEYS.get(mistake, mistake)], str(report)
    assert any(words in h for h in report.hints), report.hints
    assert report.disagreements and "central differences" in " ".join(report.disagreements)


def test_the_fused_output_error_through_f_prime_again_is_named():
    model = preset_mlp("softmax_ce", [4, 5, 3], activation="sigmoid", seed=6)
    randomize_biases(model, 6)
    rng = np.random.default_rng(6)
    X, labels = rng.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
    wrong = batch_backprop(output="linear", loss="cross_entropy", mean=False, mistake="fused_fprime")
    report = compare_gradients(model, X, labels, preset="softmax_ce", backprop=wrong)
    assert report.mistakes == ["fused_fprime"], str(report)
    assert any("f'(z^L)" in h for h in report.hints)
    right = batch_backprop(output="linear", loss="cross_entropy", mean=False)
    assert compare_gradients(model, X, labels, preset="softmax_ce", backprop=right).ok


def test_a_mistake_on_rectangular_layers_fails_on_the_right_tensor():
    model, X, Y = nielsen_batch((3, 5, 4, 2))
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=batch_backprop(mistake="fprime_missing"))
    failing = [(r.layer, r.quantity) for r in report.rows if not r.close]
    assert failing == [(2, "dW"), (2, "db"), (1, "dW"), (1, "db")]  # BP2 is first used for layer 2
    assert report.mistakes == ["fprime_missing_bp2"]


def test_a_per_sample_form_gets_the_l2_penalty_added():
    model, X, Y = nielsen_batch((2, 3, 2))
    net = Network([2, 3, 2])
    for l2_on in ("weights", "all"):
        report = compare_gradients(model, X, Y, preset="nielsen", l2=1e-2, l2_on=l2_on, backprop=net.backprop)
        assert report.ok, str(report)


@pytest.mark.parametrize("mistake", ["dW_transposed", "bias_not_summed", "W_not_transposed"])
def test_mistakes_are_named_in_the_rows_layout_too(mistake):
    model, X, Y = nielsen_batch()
    in_columns = batch_backprop(mistake=mistake)

    def in_rows(weights, biases, X, Y):  # X @ W code: samples in rows, W as (n_in, n_out)
        dW, db = in_columns([W.T for W in weights], biases, X.T, Y.T)
        return [d.T for d in dW], [d.T if d.ndim == 2 else d for d in db]

    report = compare_gradients(
        model, X, Y, preset="nielsen", layout="rows", w_layout="in_out", backprop=in_rows, torch=False
    )
    assert report.mistakes == [KEYS.get(mistake, mistake)], str(report)


# ---- the learner's code, careless or hostile (issue 21) ------------------------------------------
def plus(dW_extra, db_extra=None):
    """A correct batch backprop (Nielsen's conventions) with something added to what it returns."""
    right = batch_backprop()

    def backprop(weights, biases, X, Y):
        dW, db = right(weights, biases, X, Y)
        return [dW_extra(d) for d in dW], [(db_extra or dW_extra)(d) for d in db]

    return backprop


def test_complex_gradients_fail_their_rows_instead_of_losing_the_imaginary_part():
    model, X, Y = nielsen_batch((2, 3, 2))
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=plus(lambda d: d + 1000j), torch=False)
    assert not report.ok and "result: FAIL" in str(report)
    assert {r.note for r in report.rows} == {
        f"∂C/∂{q}{l}: complex numbers (complex128); expected real ones" for q in "Wb" for l in (1, 2)
    }

    class ComplexNetwork(Network):
        def backprop(self, x, y):
            nabla_b, nabla_w = super().backprop(x, y)
            return nabla_b, [w + 1e-3j for w in nabla_w]

    report = compare_gradients(model, X, Y, preset="nielsen", backprop=ComplexNetwork([2, 3, 2]).backprop)
    assert not report.ok and "complex numbers" in str(report)


def test_numbers_too_large_for_a_float_fail_their_row():
    model, X, Y = nielsen_batch((2, 3, 2))
    huge = plus(lambda d: [[10**400] * d.shape[1]] * d.shape[0], lambda d: d)
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=huge, torch=False)
    assert not report.ok and "∂C/∂W1: numbers too large for a float" in str(report)


def test_what_the_learners_code_raises_says_what_and_where():
    model, X, Y = nielsen_batch((2, 3, 2))

    def shapes(weights, biases, X, Y):
        return weights[0] @ weights[0], biases  # the line the report names

    line = shapes.__code__.co_firstlineno + 1
    with pytest.raises(UserCodeError, match=rf"your code raised ValueError: matmul: .* at {__file__}:{line}$") as info:
        compare_gradients(model, X, Y, preset="nielsen", backprop=shapes)
    assert isinstance(info.value.__cause__, ValueError)  # their traceback stays readable, chained

    def exits(weights, biases, X, Y):
        sys.exit(3)

    with pytest.raises(UserCodeError, match=r"your code exited \(sys.exit\(3\)\) at .*test_handwritten.py:\d+$"):
        compare_gradients(model, X, Y, preset="nielsen", backprop=exits)

    def interrupted(weights, biases, X, Y):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C stays Ctrl-C
        compare_gradients(model, X, Y, preset="nielsen", backprop=interrupted)


def test_a_function_that_never_returns_is_stopped_at_the_time_limit():
    model, X, Y = nielsen_batch((2, 3, 2))

    def never_returns(weights, biases, X, Y):
        while True:
            with contextlib.suppress(Exception):  # a careless learner's loop: it must not swallow the stop
                np.zeros(3).sum()

    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(UserCodeTimeout, match=r"your code did not return within 0.2 s at .*test_handwritten.py:\d+"):
        compare_gradients(model, X, Y, preset="nielsen", backprop=never_returns, timeout=0.2)
    assert issubclass(UserCodeTimeout, TimeoutError)
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert compare_gradients(model, X, Y, preset="nielsen", backprop=batch_backprop(), timeout=5).ok


@pytest.mark.parametrize("timeout, error", [(-1, ValueError), (0, ValueError), (True, ValueError), ("5", ValueError)])
def test_a_bad_timeout_is_refused(timeout, error):
    model, X, Y = nielsen_batch((2, 3, 2))
    with pytest.raises(error, match="timeout: expected a number of seconds > 0"):
        compare_gradients(model, X, Y, preset="nielsen", backprop=batch_backprop(), timeout=timeout)


def test_a_timeout_outside_the_main_thread_is_refused_clearly():
    model, X, Y = nielsen_batch((2, 3, 2))
    caught = []

    def in_a_thread():
        try:
            compare_gradients(model, X, Y, preset="nielsen", backprop=batch_backprop(), timeout=1)
        except RuntimeError as e:
            caught.append(str(e))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert caught and "main thread" in caught[0]


def test_nielsens_lists_in_the_wrong_order_get_an_order_hint():
    class Swapped(Network):
        def backprop(self, x, y):
            nabla_b, nabla_w = super().backprop(x, y)
            return nabla_w, nabla_b

    model, X, Y = nielsen_batch((2, 3, 2))
    order = r"nielsen: the two lists came back in the wrong order.*\(nabla_b, nabla_w\)"
    with pytest.raises(BackpropError, match=order):
        compare_gradients(model, X, Y, preset="nielsen", backprop=Swapped([2, 3, 2]).backprop)


def test_the_rows_layout_takes_a_bias_gradient_kept_as_a_row():
    model, X, Y = nielsen_batch((3, 4, 2))
    in_columns = batch_backprop()

    def in_rows(weights, biases, X, Y):  # db = D.sum(axis=0, keepdims=True): shape (1, n)
        dW, db = in_columns([W.T for W in weights], biases, X.T, Y.T)
        return [d.T for d in dW], [d.reshape(1, -1) for d in db]

    report = compare_gradients(model, X, Y, preset="nielsen", layout="rows", w_layout="in_out", backprop=in_rows)
    assert report.ok, str(report)


def test_bp4_with_the_output_layers_own_activations_is_named():
    model, X, Y = nielsen_batch((4, 4, 4, 4))
    right = batch_backprop()

    def output_a(weights, biases, X, Y):  # Nielsen's nabla_w[-1] with activations[-1] for activations[-2]
        dW, db = right(weights, biases, X, Y)
        a = X
        for W, b in zip(weights, biases):
            a = sigmoid(W @ a + b[:, None])
        dW[-1] = ((a - Y) * a * (1 - a) / X.shape[1]) @ a.T
        return dW, db

    report = compare_gradients(model, X, Y, preset="nielsen", backprop=output_a)
    assert report.mistakes == ["bp4_output_a"], str(report)
    assert any("L3 dW: BP4 of the output layer uses its output a^L" in h for h in report.hints), report.hints


def test_a_constant_factor_is_stated_with_its_possible_causes_none_claimed():
    model, X, Y = nielsen_batch((2, 3, 2), n=10)
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=plus(lambda d: 0.1 * d))  # lr folded in
    assert report.mistakes == ["constant_factor"]
    (hint,) = report.hints
    assert "off by a constant factor 0.1 ≈ 1/N (N=10): it could be a sum over the batch" in hint
    assert "or a learning rate folded into the gradient" in hint and "or a cost scaled by a constant" in hint
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=plus(lambda d: 0.37 * d))
    (hint,) = report.hints
    assert "factor 0.37: it could be a learning rate folded into the gradient" in hint and "batch" not in hint
    report = compare_gradients(model, X, Y, preset="nielsen", backprop=plus(lambda d: 0.5 * d))
    assert "factor 0.5 ≈ ½: it could be the ½ in the squared error" in report.hints[0]
