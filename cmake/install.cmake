# Install rules and the exported package (docs/install.md): every install
# rule of the project lives here, included at the end of the top-level
# CMakeLists.txt once all targets exist.
#
#   cmake --install build/default --prefix /some/prefix
#
# gives <prefix>/include/qdiff/<dir>/*.h, <prefix>/lib/libqdiff_*.a,
# <prefix>/bin/qdiff, <prefix>/share/qdiff/corpus and
# <prefix>/lib/cmake/qdiff/ (qdiffConfig.cmake, its version file and the
# exported qdiff:: targets), so that another project does
#
#   find_package(qdiff REQUIRED)
#   target_link_libraries(my_tests PRIVATE qdiff::rc)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QDIFF_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/qdiff)
set(QDIFF_INSTALL_CORPUSDIR ${CMAKE_INSTALL_DATADIR}/qdiff/corpus)

# Libraries of the package and their names under qdiff::. The fuzz build has
# no RapidCheck engine (qdiff_rc); the others exist in every build.
set(qdiff_exported qdiff_core qdiff_reference qdiff_impl qdiff_cases qdiff_oracle
    qdiff_adapters qdiff_domains qdiff_properties qdiff_fuzz_driver)
if(TARGET qdiff_rc)
  list(APPEND qdiff_exported qdiff_rc)
endif()
foreach(t ${qdiff_exported})
  string(REGEX REPLACE "^qdiff_" "" export_name ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${export_name})
endforeach()

# Include paths: in the build tree the sources include "core/tensor.h"
# relative to the source root (include_directories in CMakeLists.txt). The
# installed headers live in <prefix>/include/qdiff/<dir>/, so users write
# <qdiff/core/tensor.h> while the headers' own "core/..." includes resolve
# through <prefix>/include/qdiff. Every library links qdiff_core, so its
# interface carries both for all of them. Build-tree-only directories
# (the FuzzedDataProvider.h link directory, include/) are
# $<BUILD_INTERFACE:...> where they are set.
target_include_directories(qdiff_core INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/qdiff>)

install(TARGETS ${qdiff_exported} EXPORT qdiffTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Headers: every header of the installed libraries (public and internal
# alike: the public ones include internal ones; docs/install.md says which
# is which). fuzz/: only the two headers of qdiff_fuzz_driver.
foreach(dir core reference impl cases oracle adapters properties)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qdiff/${dir}
    FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_driver.h ${PROJECT_SOURCE_DIR}/fuzz/case_file_target.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qdiff/fuzz)
# The plug-in C ABI: <qdiff/backend.h>, as plug-ins already include it.
install(FILES ${PROJECT_SOURCE_DIR}/include/qdiff/backend.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qdiff)

# The qdiff command and the corpus it replays (an installed qdiff finds
# <prefix>/share/qdiff/corpus next to its bin/: docs/install.md).
if(TARGET qdiff)
  install(TARGETS qdiff RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/corpus/ DESTINATION ${QDIFF_INSTALL_CORPUSDIR})

install(EXPORT qdiffTargets NAMESPACE qdiff:: DESTINATION ${QDIFF_INSTALL_CMAKEDIR})
# The config file needs to know whether qdiff::rc (and so rapidcheck) exists.
set(QDIFF_EXPORTS_RC OFF)
if(TARGET qdiff_rc)
  set(QDIFF_EXPORTS_RC ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/qdiffConfig.cmake.in
  ${PROJECT_BINARY_DIR}/qdiffConfig.cmake INSTALL_DESTINATION ${QDIFF_INSTALL_CMAKEDIR}
  PATH_VARS QDIFF_INSTALL_CORPUSDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/qdiffConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/qdiffConfig.cmake ${PROJECT_BINARY_DIR}/qdiffConfigVersion.cmake
  DESTINATION ${QDIFF_INSTALL_CMAKEDIR})

# The installed package, proven (scripts/test-consumer): installs this build
# into a scratch prefix, builds examples/consumer against it and runs its
# tests with the toy kernel's bugs off (pass) and on (fail). 15-30 seconds,
# so outside the default run, like the ClusterFuzzLite proof:
#   ctest -C consumer -L consumer --output-on-failure
if(QDIFF_BUILD_TESTS AND TARGET qdiff_rc AND TARGET qdiff)
  add_test(NAME consumer_against_installed_qdiff CONFIGURATIONS consumer
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/test-consumer ${CMAKE_BINARY_DIR})
  set_tests_properties(consumer_against_installed_qdiff PROPERTIES LABELS consumer TIMEOUT 1800)
endif()
