# python/qopt/models.py - small transformer-style ONNX models built with the onnx API.
"""Deterministic builders (fixed seeds) shared by the end-to-end tests and examples:
attention with Softmax, LayerNormalization / RMSNorm variants, GELU and SiLU/SwiGLU
MLPs, residuals, and weights with outlier input channels."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _w(rng, shape, outliers=0, scale=0.05):
    w = (rng.standard_normal(shape) * scale).astype(np.float32)
    if outliers:  # a few input channels (rows of a K x N weight) much larger
        rows = rng.choice(shape[0], outliers, replace=False)
        w[rows] *= 25.0
    return w


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p):
        self.n += 1
        return f"{p}_{self.n}"

    def init(self, arr, p="w"):
        n = self.name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(self, op_type, inputs, domain="", n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type),
                                           domain=domain, **attrs))
        return outs[0] if n_out == 1 else outs

    def linear(self, x, k, n, outliers=0, bias=True):
        y = self.op("MatMul", [x, self.init(_w(self.rng, (k, n), outliers))])
        if bias:
            y = self.op("Add", [y, self.init((self.rng.standard_normal(n) * 0.02).astype(np.float32), "b")])
        return y

    def rmsnorm(self, x, d, style):
        g = self.init((1 + 0.1 * self.rng.standard_normal(d)).astype(np.float32), "gamma")
        if style == "simplified":  # ONNX Runtime registers it in the default domain
            return self.op("SimplifiedLayerNormalization", [x, g], axis=-1, epsilon=1e-6)
        if style == "rms23":
            return self.op("RMSNormalization", [x, g], axis=-1, epsilon=1e-6)
        sq = self.op("Mul", [x, x])
        ms = self.op("ReduceMean", [sq, self.init(np.array([-1], np.int64), "axes")], keepdims=1)
        rs = self.op("Sqrt", [self.op("Add", [ms, self.init(np.array(1e-6, np.float32), "eps")])])
        return self.op("Mul", [self.op("Div", [x, rs]), g])

    def layernorm(self, x, d):
        g = self.init((1 + 0.1 * self.rng.standard_normal(d)).astype(np.float32), "gamma")
        b = self.init((0.1 * self.rng.standard_normal(d)).astype(np.float32), "beta")
        return self.op("LayerNormalization", [x, g, b], axis=-1, epsilon=1e-5)

    def attention(self, x, t, d, heads):
        dh = d // heads
        q = self.linear(x, d, d, outliers=3)
        k = self.linear(x, d, d, outliers=3)
        v = self.linear(x, d, d)
        split = self.init(np.array([1, t, heads, dh], np.int64), "shape")
        qh = self.op("Transpose", [self.op("Reshape", [q, split])], perm=[0, 2, 1, 3])
        kh = self.op("Transpose", [self.op("Reshape", [k, split])], perm=[0, 2, 3, 1])
        vh = self.op("Transpose", [self.op("Reshape", [v, split])], perm=[0, 2, 1, 3])
        s = self.op("Div", [self.op("MatMul", [qh, kh]),
                            self.init(np.array(np.sqrt(dh), np.float32), "scale")])
        p = self.op("Softmax", [s], axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [p, vh])], perm=[0, 2, 1, 3])
        o = self.op("Reshape", [o, self.init(np.array([1, t, d], np.int64), "shape")])
        return self.linear(o, d, d)

    def mlp(self, x, d, hidden, kind):
        if kind == "gelu":
            return self.linear(self.op("Gelu", [self.linear(x, d, hidden, outliers=2)]), hidden, d)
        if kind == "gelu_tanh":
            h = self.op("Gelu", [self.linear(x, d, hidden, outliers=2)], approximate="tanh")
            return self.linear(h, hidden, d)
        # SwiGLU: silu(x W1) * (x W3) W2
        a = self.linear(x, d, hidden, outliers=2, bias=False)
        silu = self.op("Mul", [a, self.op("Sigmoid", [a])])
        b = self.linear(x, d, hidden, bias=False)
        return self.linear(self.op("Mul", [silu, b]), hidden, d, bias=False)

    def conv(self, x, c_in, c_out, k, **attrs):
        w = (self.rng.standard_normal((c_out, c_in, k, k)) / np.sqrt(c_in * k * k)).astype(np.float32)
        w[:, self.rng.choice(c_in, max(1, c_in // 8), replace=False)] *= 8.0  # outlier channels
        bias = (self.rng.standard_normal(c_out) * 0.05).astype(np.float32)
        return self.op("Conv", [x, self.init(w), self.init(bias, "b")], **attrs)

    def model(self, x_name, x_shape, y, opset=20, y_shape=None):
        graph = helper.make_graph(
            self.nodes, "qopt_test_model",
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape or x_shape)], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                    helper.make_opsetid("com.microsoft", 1)])
        m.ir_version = 9
        if not any(n.op_type == "SimplifiedLayerNormalization" for n in self.nodes):
            onnx.checker.check_model(m)  # (ONNX Runtime contrib ops are unknown to the checker)
        return m


def transformer_block(seed=0, t=16, d=64, heads=4, hidden=128, norm="layernorm", mlp="gelu",
                      opset=20, layers=1):
    """Pre-norm block: x + Attn(Norm(x)); h + MLP(Norm(h)). `layers` > 1 stacks that many
    blocks, each with its own weights (a decoder stack: the decode benchmark's model)."""
    b = Builder(seed)
    norm_fn = (lambda v: b.layernorm(v, d)) if norm == "layernorm" else (lambda v: b.rmsnorm(v, d, norm))
    y = "x"
    for _ in range(layers):
        h = b.op("Add", [y, b.attention(norm_fn(y), t, d, heads)])
        y = b.op("Add", [h, b.mlp(norm_fn(h), d, hidden, mlp)])
    return b.model("x", [1, t, d], y, opset=opset)


def norm_mlp_model(seed=0, m=8, d=64, hidden=128, norm="rms"):
    """Linear -> RMSNorm -> Linear without a residual: the norm's input comes from a linear
    layer alone, so a rotation of the second layer folds across the norm into the first."""
    b = Builder(seed)
    h = b.linear("x", d, hidden, outliers=2)
    y = b.linear(b.rmsnorm(h, hidden, norm), hidden, d)
    return b.model("x", [m, d], y, opset=23 if norm == "rms23" else 20)


def mlp_model(seed=0, m=8, d=64, hidden=256):
    """Two-layer GELU MLP with outlier input channels and a residual."""
    b = Builder(seed)
    y = b.op("Add", ["x", b.mlp("x", d, hidden, "gelu")])
    return b.model("x", [m, d], y)


def cnn_model(seed=0, n=1, c=3, hw=16, classes=10):
    """Small CNN: 3x3 conv (K = 27), 5x5 stride-2 conv (K = 200, not a multiple of 32),
    ReLUs, global average pooling and a Gemm classifier."""
    b = Builder(seed)
    h = b.op("Relu", [b.conv("x", c, 8, 3, pads=[1, 1, 1, 1])])
    h = b.op("Relu", [b.conv(h, 8, 16, 5, strides=[2, 2], pads=[2, 2, 2, 2])])
    h = b.op("Flatten", [b.op("GlobalAveragePool", [h])])
    w = b.init(_w(b.rng, (classes, 16), scale=0.3))
    y = b.op("Gemm", [h, w, b.init(np.zeros(classes, np.float32), "b")], transB=1)
    return b.model("x", [n, c, hw, hw], y, y_shape=[n, classes])


def linear_model(m, k, n, layers=1, seed=0):
    """y = x W (x: m x k) for one K x N weight, or the sum of `layers` independent ones (each
    weight read once per call): the kernel benchmarks' and kernel tests' model. Weights are
    standard normal x 0.05, drawn in layer order from one generator seeded `seed`."""
    rng = np.random.default_rng(seed)
    nodes, inits, outs = [], [], []
    for i in range(layers):
        w = _w(rng, (k, n))
        inits.append(numpy_helper.from_array(w, f"w{i}" if layers > 1 else "w"))
        name = f"linear_{i}" if layers > 1 else "linear"
        nodes.append(helper.make_node("MatMul", ["x", inits[-1].name], [f"y{i}"], name=name))
        outs.append(f"y{i}")
    if layers > 1:
        nodes.append(helper.make_node("Sum", outs, ["y"], name="sum"))
    else:
        nodes[-1].output[0] = "y"
    g = helper.make_graph(nodes, "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    return model
