"""ONNX Runtime's com.microsoft MatMulNBits against qdiff's semantics of
4-bit per-group weights: Y = A W^T with W dequantized per block as SPEC
section 5 says (f32(f32(q) - f32(z)) * s, uint4, blocks along K) and the
float product in exact arithmetic. Not a qdiff property (no qdiff op takes
float activations to a float output: docs/real-backends.md,
"MatMulNBits"), so a seeded random check of its own:

    build/onnx-venv/bin/python examples/onnxruntime_backend/matmulnbits_check.py [--cases N] [--swap-nibbles]

Tolerance, derived: MatMulNBits accumulates the K products in f32 (in an
order of its own; accuracy_level 0). Each product a_j w_j is one f32
rounding, and any order of K - 1 f32 additions adds at most (K - 1) u
relative to the running sums, so |y - exact| <= K u sum_j |a_j w_j| to
first order, u = 2^-24; (K + 1) u leaves room for the second-order terms
(K <= 512 here, K^2 u^2 < 2^-29 u). A decoding error (a nibble, a zero
point or a scale taken from the wrong place) moves an output by whole
multiples of s |a|, far outside that. --swap-nibbles packs the weights
with the nibble order reversed (the bug SPEC section 1 warns of) to show
that the check fails then.
"""
import argparse
import sys

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

U = 2.0**-24


def pack_nibbles(q, swap):
    """uint4 values, last dim even, two per byte: element 2i in the low nibble (ONNX)."""
    lo, hi = (q[..., 1::2], q[..., 0::2]) if swap else (q[..., 0::2], q[..., 1::2])
    return (lo | (hi << 4)).astype(np.uint8)


def matmulnbits(a, q, scale, zero, block, swap):
    n, k = q.shape
    blocks = k // block
    zp = pack_nibbles(np.pad(zero, [(0, 0), (0, blocks % 2)]), swap)  # [N, ceil(blocks / 2)]
    inits = [helper.make_tensor("B", TensorProto.UINT8, [n, blocks, block // 2],
                                pack_nibbles(q, swap).tobytes(), raw=True),
             helper.make_tensor("S", TensorProto.FLOAT, [n * blocks], scale.reshape(-1)),
             helper.make_tensor("Z", TensorProto.UINT8, list(zp.shape), zp.tobytes(), raw=True)]
    node = helper.make_node("MatMulNBits", ["A", "B", "S", "Z"], ["Y"], domain="com.microsoft",
                            K=k, N=n, bits=4, block_size=block, accuracy_level=0)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT, list(a.shape))],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], initializer=inits)
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21),
                                                                    helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"A": a})[0]


def check_one(rng, swap):
    """One random case; returns (outputs, outputs off the correctly rounded
    value, worst |y - exact| / (K u sum |a w|), failure text or None)."""
    m, n, block = int(rng.integers(1, 5)), int(rng.integers(1, 9)), int(rng.choice([16, 32, 64, 128]))
    k = block * int(rng.integers(1, 5))
    q = rng.integers(0, 16, size=(n, k)).astype(np.uint8)
    scale = (rng.uniform(0.5, 2.0, size=(n, k // block)) * 2.0**-6).astype(np.float32)
    zero = rng.integers(0, 16, size=(n, k // block)).astype(np.uint8)
    a = rng.standard_normal((m, k)).astype(np.float32)
    y = matmulnbits(a, q, scale, zero, block, swap)
    # SPEC section 5, per element, in f32; then the exact product.
    w = ((q.astype(np.float32) - np.repeat(zero, block, axis=1).astype(np.float32))
         * np.repeat(scale, block, axis=1)).astype(np.float32)
    exact = a.astype(np.float64) @ w.astype(np.float64).T
    magnitude = np.abs(a.astype(np.float64)) @ np.abs(w.astype(np.float64)).T
    error = np.abs(y.astype(np.float64) - exact)
    bound = (k + 1) * U * magnitude + 2.0**-149 * k  # + k subnormal-underflow steps
    ratio = float((error / np.maximum(k * U * magnitude, 2.0**-149)).max())
    failure = None
    if (error > bound).any():
        i = tuple(int(v) for v in np.unravel_index(np.argmax(error - bound), error.shape))
        failure = "M {} N {} K {} block {}: y{} = {!r}, exact {!r}, error {:.3g} > bound {:.3g}".format(
            m, n, k, block, list(i), float(y[i]), float(exact[i]), float(error[i]), float(bound[i]))
    return y.size, int((y != exact.astype(np.float32)).sum()), ratio, failure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--swap-nibbles", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    outputs = off = 0
    worst = 0.0
    for case in range(args.cases):
        size, differ, ratio, failure = check_one(rng, args.swap_nibbles)
        if failure:
            print("MatMulNBits FAILED at case {} (seed {}): {}".format(case, args.seed, failure))
            return 1
        outputs, off, worst = outputs + size, off + differ, max(worst, ratio)
    print("MatMulNBits (onnxruntime {}): {} cases, {} outputs, {} not the correctly rounded value, "
          "worst error {:.3f} K u sum|a w| (bound (K + 1) u)".format(ort.__version__, args.cases, outputs, off, worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
