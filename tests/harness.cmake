# The harness's own tests: oracle and generator unit tests, fault
# self-tests, and corpus replay (every build replays corpus/ with the
# gcc-built replay drivers).
qdiff_add_test(NAME harness_oracle_test SOURCES harness_oracle_test.cc
               LIBS qdiff_properties LABELS unit)
qdiff_add_test(NAME harness_generators_test SOURCES harness_generators_test.cc
               LIBS qdiff_rc LABELS unit)
qdiff_add_test(NAME regressions_test SOURCES regressions_test.cc
               LIBS qdiff_properties LABELS unit)
qdiff_add_test(NAME harness_faults_test SOURCES harness_faults_test.cc
               LIBS qdiff_rc LABELS property)
qdiff_add_test(NAME harness_fusion_sites_test SOURCES harness_fusion_sites_test.cc
               LIBS qdiff_properties LABELS unit)
qdiff_add_test(NAME oracle_graph_nan_parity_test SOURCES oracle_graph_nan_parity_test.cc
               LIBS qdiff_oracle LABELS unit)
qdiff_add_test(NAME harness_graph_regressions_test SOURCES harness_graph_regressions_test.cc
               LIBS qdiff_properties LABELS unit)

foreach(t ${QDIFF_FUZZ_TARGETS})
  add_test(NAME replay_seeds_${t}
           COMMAND ${t}_replay ${PROJECT_SOURCE_DIR}/corpus/${t})
  set_tests_properties(replay_seeds_${t} PROPERTIES LABELS replay)
endforeach()
if(TARGET qdiff)
  add_test(NAME replay_regressions COMMAND qdiff replay ${PROJECT_SOURCE_DIR}/corpus/regressions)
  set_tests_properties(replay_regressions PROPERTIES LABELS replay)
endif()
