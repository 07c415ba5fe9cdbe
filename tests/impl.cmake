# Unit tests of impl/: targeted sweeps against reference/ (every ISA, kernel
# path, row length 0..70, ties, specials, contracts, domains, ranges, error
# kinds, threads), choose_qparams, and a sanity check of each fault point.
qdiff_add_test(NAME impl_test
  SOURCES impl_quantize_test.cc impl_choose_qparams_test.cc impl_fault_points_test.cc
  LIBS qdiff_impl qdiff_reference
  LABELS unit)
