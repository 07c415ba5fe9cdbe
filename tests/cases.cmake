# Case-file codec (cases/): exact f32 text, round trips, malformed inputs,
# result files.
qdiff_add_test(NAME cases_f32_text_test SOURCES cases_f32_text_test.cc
               LIBS qdiff_cases LABELS unit)
qdiff_add_test(NAME cases_round_trip_test SOURCES cases_round_trip_test.cc
               LIBS qdiff_cases LABELS unit)
qdiff_add_test(NAME cases_malformed_test SOURCES cases_malformed_test.cc
               LIBS qdiff_cases nlohmann_json::nlohmann_json LABELS unit)
qdiff_add_test(NAME cases_result_test SOURCES cases_result_test.cc
               LIBS qdiff_cases LABELS unit)
# Parses docs/case-file-format.md; checks its hand-worked results against
# the reference.
qdiff_add_test(NAME cases_docs_test SOURCES cases_docs_test.cc
               LIBS qdiff_cases qdiff_reference LABELS unit)
# Fused-op case files (cases/case.h): round trips, malformed inputs,
# summaries, and the fused examples of docs/case-file-format.md.
qdiff_add_test(NAME cases_fused_round_trip_test SOURCES cases_fused_round_trip_test.cc
               LIBS qdiff_cases LABELS unit)
qdiff_add_test(NAME cases_fused_malformed_test SOURCES cases_fused_malformed_test.cc
               LIBS qdiff_cases nlohmann_json::nlohmann_json LABELS unit)
qdiff_add_test(NAME cases_fused_summary_test SOURCES cases_fused_summary_test.cc
               LIBS qdiff_cases LABELS unit)
# The documented fused results are compared with the reference.
qdiff_add_test(NAME cases_fused_docs_test SOURCES cases_fused_docs_test.cc
               LIBS qdiff_cases qdiff_reference LABELS unit)
# Graph case files (cases/graph_case.h): round trips of every node kind and
# attribute, the canonical text, summaries, the malformed matrix (paths in
# every message), and the graph examples of docs/case-file-format.md against
# the reference graph interpreter.
qdiff_add_test(NAME cases_graph_round_trip_test SOURCES cases_graph_round_trip_test.cc
               LIBS qdiff_cases GTest::gmock LABELS unit)
qdiff_add_test(NAME cases_graph_malformed_test SOURCES cases_graph_malformed_test.cc
               LIBS qdiff_cases nlohmann_json::nlohmann_json GTest::gmock LABELS unit)
qdiff_add_test(NAME cases_graph_docs_test SOURCES cases_graph_docs_test.cc
               LIBS qdiff_cases qdiff_reference LABELS unit)
