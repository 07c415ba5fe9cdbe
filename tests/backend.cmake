# Process backends (oracle/process_backend.h, docs/process-protocol.md):
# the child-process layer, findings from misbehaving toy backends, and the
# example backends under `qdiff check / replay / explain --backend-cmd`.
# Label `backend`: seconds to tens of seconds each (the hang test waits for
# its timeouts), run by plain `ctest`.
qdiff_add_test(NAME oracle_line_process_test SOURCES oracle_line_process_test.cc
               LIBS qdiff_oracle LABELS backend)
# Only a backend that declares it reads "qlinear_contract" is sent other
# accumulation contracts than the default.
qdiff_add_test(NAME oracle_contract_declaration_test SOURCES oracle_contract_declaration_test.cc
               LIBS qdiff_oracle GTest::gmock LABELS backend)

if(TARGET qdiff AND TARGET qdiff_cpp_backend)
  qdiff_add_test(NAME tools_process_backend_findings_test SOURCES tools_process_backend_findings_test.cc
                 LIBS qdiff_cases LABELS backend)
  target_compile_definitions(tools_process_backend_findings_test PRIVATE QDIFF_BINARY="$<TARGET_FILE:qdiff>"
                             QDIFF_QUANTIZE_REPLAY="$<TARGET_FILE:quantize_replay>")
  add_dependencies(tools_process_backend_findings_test qdiff quantize_replay)

  qdiff_add_test(NAME tools_process_backend_examples_test SOURCES tools_process_backend_examples_test.cc
                 LIBS qdiff_cases LABELS backend)
  target_compile_definitions(tools_process_backend_examples_test PRIVATE QDIFF_BINARY="$<TARGET_FILE:qdiff>"
                             QDIFF_CPP_BACKEND="$<TARGET_FILE:qdiff_cpp_backend>")
  add_dependencies(tools_process_backend_examples_test qdiff qdiff_cpp_backend)
endif()

# The torch.fx port of the seed's passes (examples/fx_passes/), only where
# Debian's python3-torch imports (cmake/optional_peers.cmake).
if(TARGET qdiff AND QDIFF_HAVE_TORCH)
  qdiff_add_command_test(NAME tools_fx_passes_test SOURCES tools_fx_passes_test.cc LIBS qdiff_cases LABELS backend)
endif()
