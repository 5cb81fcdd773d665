"""Hand-wired Keras models whose units and feature interactions are known exactly
(shared by tests/test_units.py and tests/test_features.py).

``conv1`` (width 8, 'same'): filter 0 = log-odds of M1, filter 1 = M2, filter 2 = M1 again (a
redundant unit), filter 3 dead (bias -100); ReLU with a bias so only near-consensus windows fire.
``pool1`` max-pool 2; ``conv2`` (width 5, 'same') copies conv1's units through its centre tap;
``gmp`` global max-pool -> features z (N, 4). Head: ``dense1`` h0 = relu(z0 + z1 - t) (an AND of
M1 and M2: a planted product-like interaction of units 0 and 1), h1 = relu(z2 + z3) (M1 alone,
additive); ``logits`` = 2 h0 + h1; ``output`` sigmoid. With ``additive=True`` the head is
``logits = z0 + z1 + z2 + z3`` (no hidden layer): no interaction anywhere.
"""
import keras
import numpy as np

from kgenint.motifs import Motif

M1_CONS = "TGACTCAG"
M2_CONS = "CCAATGGC"
DECOYS = ("GATAAGCT", "CACGTGAC", "TTGCGCAA", "GGGGCGGG", "AATTTAAA", "TCTAGACC")


def motifs():
    def soft(cons, name):
        p = np.full((len(cons), 4), 0.02)
        for i, c in enumerate(cons):
            p[i, "ACGT".index(c)] = 0.94
        return Motif(name, p / p.sum(axis=1, keepdims=True))

    m1, m2 = soft(M1_CONS, "M1"), soft(M2_CONS, "M2")
    return m1, m2, [soft(c, f"D{i}") for i, c in enumerate(DECOYS)]


def _logodds(m):
    return np.log(m.pwm / 0.25).astype(np.float32)


def build(length=100, additive=False):
    m1, m2, _ = motifs()
    kl = keras.layers
    inp = keras.Input((length, 4), name="sequence")
    c1 = kl.Conv1D(4, 8, padding="same", name="conv1")
    h = c1(inp)
    h = kl.Activation("relu", name="conv1_act")(h)
    h = kl.MaxPooling1D(2, name="pool1")(h)
    c2 = kl.Conv1D(4, 5, padding="same", name="conv2")
    h = c2(h)
    h = kl.Activation("relu", name="conv2_act")(h)
    z = kl.GlobalMaxPooling1D(name="gmp")(h)
    if additive:
        lg = kl.Dense(1, name="logits")
        out = lg(z)
    else:
        d1 = kl.Dense(2, name="dense1")
        hh = kl.Activation("relu", name="dense1_act")(d1(z))
        lg = kl.Dense(1, name="logits")
        out = lg(hh)
    out = kl.Activation("sigmoid", name="output")(out)
    model = keras.Model(inp, out)
    k = np.zeros((8, 4, 4), np.float32)
    k[..., 0], k[..., 1], k[..., 2] = _logodds(m1), _logodds(m2), _logodds(m1)
    top = float(_logodds(m1).max(axis=1).sum())
    b = np.array([-(top - 4.0)] * 3 + [-100.0], np.float32)  # fires within ~1 mismatch of consensus
    c1.set_weights([k, b])
    k2 = np.zeros((5, 4, 4), np.float32)
    for u in range(4):
        k2[2, u, u] = 1.0
    c2.set_weights([k2, np.zeros(4, np.float32)])
    if additive:
        lg.set_weights([np.ones((4, 1), np.float32), np.zeros(1, np.float32)])
    else:
        w1 = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32)
        d1.set_weights([w1, np.array([-5.0, 0.0], np.float32)])  # t = 5: each unit alone is at most 4
        lg.set_weights([np.array([[2.0], [1.0]], np.float32), np.zeros(1, np.float32)])
    return model


def data(n=400, length=100, seed=0):
    """Random sequences; M1 planted in half, M2 in an independent half (consensus, random place)."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 4, size=(n, length))
    has1 = rng.random(n) < 0.5
    has2 = rng.random(n) < 0.5
    for i in range(n):
        if has1[i]:
            p = rng.integers(0, length // 2 - 8)
            s[i, p : p + 8] = ["ACGT".index(c) for c in M1_CONS]
        if has2[i]:
            p = rng.integers(length // 2, length - 8)
            s[i, p : p + 8] = ["ACGT".index(c) for c in M2_CONS]
    return np.eye(4, dtype=np.float32)[s], has1, has2
