# The qdiff command's fuzzing tools: `qdiff fuzz` (against a fake libFuzzer),
# artifact recording, libFuzzer log parsing, `qdiff coverage`'s command line.
if(TARGET qdiff_fuzz_tools)
  qdiff_add_test(NAME tools_fuzz_process_test SOURCES tools_fuzz_process_test.cc
                 LIBS qdiff_fuzz_tools LABELS unit)
  qdiff_add_test(NAME tools_fuzz_findings_test SOURCES tools_fuzz_findings_test.cc
                 LIBS qdiff_fuzz_tools LABELS unit)
  qdiff_add_test(NAME tools_fuzz_command_test SOURCES tools_fuzz_command_test.cc
                 LIBS qdiff_fuzz_tools LABELS unit)
  qdiff_add_test(NAME tools_coverage_command_test SOURCES tools_coverage_command_test.cc
                 LIBS qdiff_fuzz_tools LABELS unit)
endif()

# The ClusterFuzzLite build proof (scripts/test-clusterfuzzlite): a clang
# build through .clusterfuzzlite/build.sh with the OSS-Fuzz environment,
# then 10 s of each target on its seed corpus and `qdiff fuzz` on the
# result. Minutes long, so it belongs to the `clusterfuzzlite`
# configuration only and plain `ctest` (scripts/test) never runs it:
#   ctest -C clusterfuzzlite -L clusterfuzzlite --output-on-failure
if(TARGET qdiff)
  add_test(NAME clusterfuzzlite_build_and_run CONFIGURATIONS clusterfuzzlite
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/test-clusterfuzzlite
                   --work ${CMAKE_BINARY_DIR}/clusterfuzzlite --qdiff $<TARGET_FILE:qdiff>)
  set_tests_properties(clusterfuzzlite_build_and_run PROPERTIES LABELS clusterfuzzlite TIMEOUT 5400)
endif()

# `qdiff faults`' pure parts: the fault -> fuzz target table, the censored
# median, the report table (tools/detection_power.h).
qdiff_add_test(NAME tools_faults_test
  SOURCES tools_faults_test.cc ${PROJECT_SOURCE_DIR}/tools/detection_power.cc
          ${PROJECT_SOURCE_DIR}/tools/table.cc
  LIBS qdiff_fuzz_driver
  LABELS unit)

# `qdiff check` run as a command (tests/qdiff_command.h): rows, header and
# exit codes as users see them.
if(TARGET qdiff)
  qdiff_add_test(NAME tools_check_command_test SOURCES tools_check_command_test.cc
                 LIBS qdiff_properties LABELS unit)
  target_compile_definitions(tools_check_command_test PRIVATE QDIFF_BINARY="$<TARGET_FILE:qdiff>")
  add_dependencies(tools_check_command_test qdiff)
endif()

# The C ABI v2 end to end (tests/abi_v2_conformance_plugin.cc, a plug-in
# with naive SPEC loops and no qdiff code): `qdiff check --backend` judges
# every operation entry point.
if(TARGET qdiff)
  add_library(abi_v2_conformance_plugin SHARED abi_v2_conformance_plugin.cc)
  target_include_directories(abi_v2_conformance_plugin PRIVATE ${PROJECT_SOURCE_DIR}/include)
  qdiff_add_test(NAME abi_v2_conformance_test SOURCES abi_v2_conformance_test.cc LABELS unit)
  target_compile_definitions(abi_v2_conformance_test PRIVATE QDIFF_BINARY="$<TARGET_FILE:qdiff>"
                             QDIFF_V2_PLUGIN="$<TARGET_FILE:abi_v2_conformance_plugin>")
  add_dependencies(abi_v2_conformance_test qdiff abi_v2_conformance_plugin)
endif()

# The mutation runner (scripts/mutation-score, docs/detection-power.md) is
# not run here (it rebuilds qdiff per mutant); its scanner and sampling are:
# what it skips, and that a seed lists the same mutants every time.
find_program(QDIFF_PYTHON3 python3)
if(QDIFF_PYTHON3)
  add_test(NAME mutation_score_self_test
           COMMAND ${QDIFF_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/mutation-score --self-test)
  set_tests_properties(mutation_score_self_test PROPERTIES LABELS unit)
endif()
