# Unit tests of core/: the vocabulary types (Shape, DType, Tensor,
# QuantParams, BlockLayout, names of contracts, domains, mappings, errors).
qdiff_add_test(NAME core_test
  SOURCES core_shape_test.cc core_dtype_test.cc core_tensor_test.cc
          core_block_layout_test.cc core_names_test.cc
  LIBS qdiff_core GTest::gmock
  LABELS unit)
