# Golden tests of reference/: values worked by hand from shared/SPEC.md
# sections 3-7 and the published ONNX QuantizeLinear / DequantizeLinear
# vectors (docs/golden-vectors.md), plus every error kind and the canonical
# validation order of reference/validate.h.
qdiff_add_test(NAME reference_test
  SOURCES reference_quantize_test.cc reference_dequantize_test.cc
          reference_choose_qparams_test.cc reference_fake_quantize_test.cc
          reference_layout_test.cc reference_onnx_vectors_test.cc
          reference_errors_test.cc
  LIBS qdiff_reference GTest::gmock
  LABELS unit)

# Golden tests of the reference fused operators (SPEC section 8): qlinear,
# qconv2d, qadd/qmul worked by hand, the ONNX QLinearMatMul / QLinearConv
# vectors, and the validation order of docs/validation-order.md
# ("Fused operators").
qdiff_add_test(NAME reference_fused_test
  SOURCES reference_fused_qlinear_test.cc reference_fused_qconv2d_test.cc
          reference_fused_elementwise_test.cc reference_fused_onnx_vectors_test.cc
          reference_fused_errors_test.cc reference_qlinear_contract_test.cc
  LIBS qdiff_reference GTest::gmock
  LABELS unit)

# Graph level (docs/graph.md): the IR's structure rules (core/graph.cc), the
# reference f32 ops worked by hand (double accumulation, one f32 rounding),
# the reference graph interpreter on hand-worked graphs (legacy per-channel
# form against the full-rank affine scale, fused nodes against the fused
# ops), and every error path with the node named.
qdiff_add_test(NAME reference_graph_test
  SOURCES reference_graph_structure_test.cc reference_graph_float_ops_test.cc
          reference_graph_eval_test.cc reference_graph_errors_test.cc
  LIBS qdiff_reference GTest::gmock
  LABELS unit)
