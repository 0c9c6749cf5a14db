# Helpers shared by every folder's CMakeLists.txt.

# strata_library(NAME SOURCES ... DEPS ...): a static library built with our warnings.
function(strata_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE strata_warnings)
endfunction()

# strata_unit_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest,
# labelled "unit" so the sanitizer run can select it with `ctest -L unit`.
function(strata_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
                                        strata_warnings)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()

# strata_fuzzer(NAME SOURCES ... DEPS ... [SECONDS n]): a libFuzzer target. When STRATA_FUZZ is on
# it is also a CTest test (label "fuzz") that runs for a bounded time from the seed corpus.
function(strata_fuzzer name)
  cmake_parse_arguments(ARG "" "SECONDS;CORPUS" "SOURCES;DEPS" ${ARGN})
  if(NOT STRATA_FUZZ)
    return()
  endif()
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 20)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} strata_warnings)
  set(corpus_dir ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -E env
                   sh -c "mkdir -p ${corpus_dir} && cp -r ${ARG_CORPUS}/. ${corpus_dir}/ 2>/dev/null; \
exec $<TARGET_FILE:${name}> -max_total_time=${ARG_SECONDS} -rss_limit_mb=2048 -timeout=10 ${corpus_dir}")
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()

# strata_subdirectories(dir ...): add each listed subdirectory that has a CMakeLists.txt.
macro(strata_subdirectories)
  foreach(sub ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/CMakeLists.txt)
      add_subdirectory(${sub})
    endif()
  endforeach()
endmacro()
