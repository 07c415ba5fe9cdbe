# Optional peers: libraries qdiff can compare against or build extras with,
# none of which the main job or the tests need. Each is looked for QUIETLY
# and can never fail configure; the last line of configure lists what was
# found and what is skipped (qdiff_report_peers). CI's "no optional peers"
# stage disables every one with -DCMAKE_DISABLE_FIND_PACKAGE_<Pkg>=ON.
#
# Sets QDIFF_HAVE_<PEER> for each peer below.

set_property(GLOBAL PROPERTY QDIFF_PEERS_FOUND "")
set_property(GLOBAL PROPERTY QDIFF_PEERS_SKIPPED "")

# qdiff_peer(NAME found why_skipped): records one peer for the summary.
function(qdiff_peer name found why)
  if(found)
    set_property(GLOBAL APPEND PROPERTY QDIFF_PEERS_FOUND "${name}")
  else()
    set_property(GLOBAL APPEND PROPERTY QDIFF_PEERS_SKIPPED "${name} (${why})")
  endif()
endfunction()

# Google Benchmark: bench/.
find_package(benchmark QUIET)
set(QDIFF_HAVE_BENCHMARK ${benchmark_FOUND})
qdiff_peer(benchmark "${QDIFF_HAVE_BENCHMARK}" "libbenchmark-dev")

# oneDNN: its CMake config calls find_package(OpenCL REQUIRED), which
# would stop configure, so OpenCL is checked first.
find_package(OpenCL QUIET)
set(QDIFF_HAVE_DNNL OFF)
if(OpenCL_FOUND)
  find_package(dnnl CONFIG QUIET)
  set(QDIFF_HAVE_DNNL ${dnnl_FOUND})
endif()
qdiff_peer(oneDNN "${QDIFF_HAVE_DNNL}" "libdnnl-dev, ocl-icd-opencl-dev")

# XNNPACK: Debian ships no CMake config for it.
set(QDIFF_HAVE_XNNPACK OFF)
if(NOT CMAKE_DISABLE_FIND_PACKAGE_XNNPACK)
  find_path(XNNPACK_INCLUDE xnnpack.h)
  find_library(XNNPACK_LIBRARY XNNPACK)
  if(XNNPACK_INCLUDE AND XNNPACK_LIBRARY)
    set(QDIFF_HAVE_XNNPACK ON)
  endif()
endif()
qdiff_peer(XNNPACK "${QDIFF_HAVE_XNNPACK}" "libxnnpack-dev")

# Debian's own python3 (/usr/bin/python3, where apt installs python3-torch),
# not whatever python3 comes first on PATH: the process backends in
# examples/ name it explicitly.
set(QDIFF_HAVE_PYTHON OFF)
if(NOT CMAKE_DISABLE_FIND_PACKAGE_Python3)
  find_program(QDIFF_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(QDIFF_PYTHON3)
    set(QDIFF_HAVE_PYTHON ON)
  endif()
endif()
qdiff_peer(python3 "${QDIFF_HAVE_PYTHON}" "python3")

# qdiff_python_imports(OUT PYTHON MODULES): OUT is ON when PYTHON runs and
# imports MODULES (a comma-separated list), else OFF.
function(qdiff_python_imports out python modules)
  set(${out} OFF PARENT_SCOPE)
  if(EXISTS "${python}")
    execute_process(COMMAND ${python} -c "import ${modules}" RESULT_VARIABLE status
                    OUTPUT_QUIET ERROR_QUIET TIMEOUT 120)
    if(status EQUAL 0)
      set(${out} ON PARENT_SCOPE)
    endif()
  endif()
endfunction()

# PyTorch, Debian's python3-torch, imported from that interpreter
# (examples/torch_backend).
set(QDIFF_HAVE_TORCH OFF)
if(QDIFF_HAVE_PYTHON AND NOT CMAKE_DISABLE_FIND_PACKAGE_Torch)
  qdiff_python_imports(QDIFF_HAVE_TORCH "${QDIFF_PYTHON3}" torch)
endif()
qdiff_peer(torch "${QDIFF_HAVE_TORCH}" "python3-torch")

# ONNX Runtime and onnx from the Python package index, in a venv that
# scripts/setup-onnx-venv.sh creates (examples/onnxruntime_backend). Its
# interpreter is the cache variable QDIFF_ONNX_PYTHON, by default the
# script's build/onnx-venv; the import is checked at every configure (the
# script re-runs configure of build/default), and without it the ctest label
# `onnx` is simply not registered.
set(QDIFF_ONNX_PYTHON "${PROJECT_SOURCE_DIR}/build/onnx-venv/bin/python" CACHE FILEPATH
    "Python interpreter that imports onnxruntime and onnx (scripts/setup-onnx-venv.sh)")
set(QDIFF_HAVE_ONNX OFF)
if(NOT CMAKE_DISABLE_FIND_PACKAGE_ONNX)
  qdiff_python_imports(QDIFF_HAVE_ONNX "${QDIFF_ONNX_PYTHON}" "onnxruntime, onnx")
endif()
qdiff_peer(onnx "${QDIFF_HAVE_ONNX}" "scripts/setup-onnx-venv.sh")

# mimalloc: the allocator of the fast differential fuzz build (fuzzfast:
# QDIFF_FUZZ without ASan, whose own allocator replaces malloc). Graph
# evaluations allocate and free a tensor per node; under glibc's malloc
# that was a quarter of the graph target's time (docs/fuzzing.md).
set(QDIFF_HAVE_MIMALLOC OFF)
if(QDIFF_FUZZ AND NOT QDIFF_FUZZ_FLAGS_FROM_ENV AND NOT QDIFF_SANITIZERS MATCHES "address")
  find_package(mimalloc CONFIG QUIET)
  set(QDIFF_HAVE_MIMALLOC ${mimalloc_FOUND})
  qdiff_peer(mimalloc "${QDIFF_HAVE_MIMALLOC}" "libmimalloc-dev")
endif()

function(qdiff_report_peers)
  get_property(found GLOBAL PROPERTY QDIFF_PEERS_FOUND)
  get_property(skipped GLOBAL PROPERTY QDIFF_PEERS_SKIPPED)
  list(JOIN found ", " found)
  list(JOIN skipped ", " skipped)
  if(NOT found)
    set(found "none")
  endif()
  if(NOT skipped)
    set(skipped "none")
  endif()
  message(STATUS "qdiff optional peers: found: ${found}; skipped: ${skipped}")
endfunction()
