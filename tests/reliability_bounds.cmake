# Reliability (issue 20): bounded work per case and the fuzz watchdog.
# Label `reliability`; plain ctest runs them, as CI does.
if(TARGET qdiff)
  qdiff_add_command_test(NAME reliability_bounds_test SOURCES reliability_bounds_test.cc
                         LIBS qdiff_properties LABELS reliability)
endif()
if(TARGET qdiff AND TARGET qdiff_fuzz_tools)
  qdiff_add_command_test(NAME reliability_fuzz_watchdog_test SOURCES reliability_fuzz_watchdog_test.cc
                         LIBS qdiff_fuzz_tools LABELS reliability)
endif()
