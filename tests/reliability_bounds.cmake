# Reliability (issue 20): bounded work per case and the fuzz watchdog.
# Label `reliability`; plain ctest runs them, as CI does.
if(TARGET qdiff)
  qdiff_add_test(NAME reliability_bounds_test SOURCES reliability_bounds_test.cc
                 LIBS qdiff_properties LABELS reliability)
  target_compile_definitions(reliability_bounds_test PRIVATE QDIFF_BINARY="$<TARGET_FILE:qdiff>")
  add_dependencies(reliability_bounds_test qdiff)
endif()
if(TARGET qdiff AND TARGET qdiff_fuzz_tools)
  qdiff_add_test(NAME reliability_fuzz_watchdog_test SOURCES reliability_fuzz_watchdog_test.cc
                 LIBS qdiff_fuzz_tools LABELS reliability)
  target_compile_definitions(reliability_fuzz_watchdog_test PRIVATE QDIFF_BINARY="$<TARGET_FILE:qdiff>")
  add_dependencies(reliability_fuzz_watchdog_test qdiff)
endif()
