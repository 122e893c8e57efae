# Writes the `cpp` code blocks of a Markdown file, in order, to one source
# file, and its `registry` block to a registry file: the guide's example is
# compiled and registered as the guide shows it.
#   cmake -DDOC=docs/ADDING_A_WORKLOAD.md -DOUT=permits.cpp -DOUT_DEF=workloads.def
#         -DREGISTRY=bench/workloads/workloads.def -P extract_example.cmake
cmake_minimum_required(VERSION 3.25)
file(READ "${DOC}" text)

# The text between each "```<lang>\n" and the next "\n```", concatenated.
function(fenced_blocks lang out_var count_var)
  set(rest "${text}")
  set(open_fence "```${lang}\n")
  string(LENGTH "${open_fence}" fence_length)
  set(code "")
  set(blocks 0)
  while(TRUE)
    string(FIND "${rest}" "${open_fence}" begin)
    if(begin EQUAL -1)
      break()
    endif()
    math(EXPR begin "${begin} + ${fence_length}")
    string(SUBSTRING "${rest}" ${begin} -1 rest)
    string(FIND "${rest}" "\n```" end)
    if(end EQUAL -1)
      message(FATAL_ERROR "${DOC}: a ${lang} block is not closed")
    endif()
    string(SUBSTRING "${rest}" 0 ${end} block)
    string(APPEND code "${block}\n")
    math(EXPR blocks "${blocks} + 1")
    string(SUBSTRING "${rest}" ${end} -1 rest)
  endwhile()
  set(${out_var} "${code}" PARENT_SCOPE)
  set(${count_var} ${blocks} PARENT_SCOPE)
endfunction()

fenced_blocks(cpp code blocks)
if(blocks EQUAL 0)
  message(FATAL_ERROR "${DOC}: no cpp blocks")
endif()
file(WRITE "${OUT}" "// Extracted from ${DOC}: edit the guide, not this file.\n${code}")

# The guide's registry must be the real one plus its example's line, so that
# what it tells a reader to write is what the test runs.
fenced_blocks(registry listed blocks)
if(NOT blocks EQUAL 1)
  message(FATAL_ERROR "${DOC}: expected one registry block, found ${blocks}")
endif()
file(STRINGS "${REGISTRY}" real REGEX "^SIMUL_WORKLOAD\\(")
string(REGEX MATCHALL "SIMUL_WORKLOAD\\([a-z_0-9]+\\)" shown "${listed}")
list(LENGTH real real_count)
list(LENGTH shown shown_count)
math(EXPR expected "${real_count} + 1")
if(NOT shown_count EQUAL expected)
  message(FATAL_ERROR "${DOC}: its registry block lists ${shown_count} workloads; "
                      "${REGISTRY} has ${real_count}, and the guide adds one")
endif()
list(SUBLIST shown 0 ${real_count} shown_real)
if(NOT shown_real STREQUAL real)
  message(FATAL_ERROR "${DOC}: its registry block does not start with the lines of ${REGISTRY}")
endif()
file(WRITE "${OUT_DEF}" "// Extracted from ${DOC}: edit the guide, not this file.\n${listed}")
