# Fuzz builds (QDIFF_FUZZ, clang): where libFuzzer's coverage
# instrumentation goes. Included once every target exists.
#
# Coverage is the fuzzer's guide: an edge of impl/ or of the case parser
# reached for the first time is a new behaviour of the code under test. The
# reference, the oracle, the generators (properties/) and the fuzz drivers
# and custom mutator are not under test: their edges and compares only say
# which case was drawn, and the profile (docs/fuzzing.md, "Where an
# execution's time goes") showed their trace-cmp hooks and the extra
# features per execution as the largest cost of every target. With
# QDIFF_FUZZ_COVERAGE=guide (the default) they carry no coverage
# instrumentation at all; "all" instruments everything but the reference's
# compares, as before, for A/B runs.
#
# The flags are removed per library, after the environment's or the
# project's -fsanitize=fuzzer-no-link, so this also holds for
# ClusterFuzzLite's build.sh (QDIFF_FUZZ_FLAGS_FROM_ENV).
set(QDIFF_NO_COVERAGE
  -fno-sanitize-coverage=inline-8bit-counters,indirect-calls,trace-cmp,pc-table,trace-pc-guard)
if(QDIFF_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  if(QDIFF_FUZZ_COVERAGE STREQUAL "guide")
    foreach(lib qdiff_reference qdiff_oracle qdiff_domains qdiff_properties qdiff_fuzz_driver qdiff_fuzz_mutator)
      target_compile_options(${lib} PRIVATE ${QDIFF_NO_COVERAGE})
    endforeach()
  elseif(QDIFF_FUZZ_COVERAGE STREQUAL "all")
    # Edges of the reference count; its compares are not worth tracing (10 %
    # of the graph target's executions, A/B 2026-11-27, docs/fuzzing.md).
    target_compile_options(qdiff_reference PRIVATE -fno-sanitize-coverage=trace-cmp)
  else()
    message(FATAL_ERROR "QDIFF_FUZZ_COVERAGE must be guide or all, not '${QDIFF_FUZZ_COVERAGE}'")
  endif()
endif()
