# The reliability suite (docs/reliability.md): a finding is never lost, a
# typo never passes. Label `reliability`, part of plain `ctest` (CI).
#   reliability_files_test: the durable writer, the input reader and strict
#                           parsing, called directly
#   reliability_check_test: `qdiff check` against failing filesystems,
#                           concurrent runs, kill -9 and signals
#   reliability_cli_test:   every typo is a usage error
# All three use tests/qdiff_command.h.
if(TARGET qdiff)
  foreach(t reliability_files_test reliability_check_test reliability_cli_test)
    qdiff_add_command_test(NAME ${t} SOURCES ${t}.cc LIBS qdiff_cases LABELS reliability)
  endforeach()
endif()
