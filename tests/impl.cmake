# Unit tests of impl/: targeted sweeps against reference/ (every ISA, kernel
# path, row length 0..70, ties, specials, contracts, domains, ranges, error
# kinds, threads), choose_qparams, and a sanity check of each fault point.
qdiff_add_test(NAME impl_test
  SOURCES impl_quantize_test.cc impl_choose_qparams_test.cc impl_fault_points_test.cc
  LIBS qdiff_impl qdiff_reference qdiff_domains
  LABELS unit)

# Unit tests of the fused operators (impl/ops): targeted sweeps checked with
# the oracle's acceptance rule against reference/ (tile edges, layouts,
# paths, conv attributes, broadcasts), bitwise agreement across ISAs and
# thread counts, error parity, and a sanity check of each fused fault point.
qdiff_add_test(NAME impl_fused_test
  SOURCES impl_fused_qlinear_test.cc impl_fused_qconv2d_test.cc impl_fused_elementwise_test.cc
          impl_fused_errors_test.cc impl_fused_faults_test.cc impl_qlinear_contract_test.cc
  LIBS qdiff_impl qdiff_reference qdiff_adapters qdiff_domains GTest::gmock
  LABELS unit)

# Unit tests of the graph level (impl/graph): each pass on hand-built graphs
# (fires / must not fire, structure, idempotence, values against the
# reference interpreter), the optimized executor against the reference
# (bit-exact or within the f32 accumulation bound, error parity), lowering
# and the integer-only executor (fixed point and int4 by hand, compact
# scales, random programs within the lowered bound, unsupported and
# malformed programs), and each graph fault point on a targeted case.
qdiff_add_test(NAME impl_graph_test
  SOURCES impl_graph_passes_test.cc impl_graph_executor_test.cc impl_graph_lowering_test.cc
          impl_graph_faults_test.cc
  LIBS qdiff_impl qdiff_reference qdiff_oracle qdiff_domains GTest::gmock
  LABELS unit)
