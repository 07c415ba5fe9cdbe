# The fuzzing layer's own tests, run by the gcc build without libFuzzer:
# the choice codec and replay, the structure-aware mutations and the
# case-file mutator (fuzz/custom_mutator.h).
qdiff_add_test(NAME fuzz_choice_codec_test SOURCES fuzz_choice_codec_test.cc
               LIBS qdiff_fuzz_mutator LABELS unit)
qdiff_add_test(NAME fuzz_custom_mutator_test SOURCES fuzz_custom_mutator_test.cc
               LIBS qdiff_fuzz_mutator LABELS unit)
qdiff_add_test(NAME fuzz_case_json_mutator_test SOURCES fuzz_case_json_mutator_test.cc
               LIBS qdiff_fuzz_mutator LABELS unit)
