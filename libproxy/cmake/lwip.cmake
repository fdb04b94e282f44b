# Builds libproxy_lwip (objects linked into libproxy): upstream lwIP 2.1.3 from third_party/lwip, with the fixes listed in
# third_party/lwip/patches/series applied to a copy in the build tree (the vendored tree itself
# stays byte-for-byte upstream), configured by our port in libproxy/src/stack/port.

set(LWIP_UPSTREAM_DIR ${PROJECT_SOURCE_DIR}/third_party/lwip)
set(LWIP_PATCHED_DIR ${CMAKE_CURRENT_BINARY_DIR}/lwip-patched)
set(LWIP_PATCH_DIR ${LWIP_UPSTREAM_DIR}/patches)

file(STRINGS ${LWIP_PATCH_DIR}/series LWIP_PATCHES REGEX "^[^#]")
set(LWIP_PATCH_INPUTS ${LWIP_PATCH_DIR}/series)
foreach(patch IN LISTS LWIP_PATCHES)
  list(APPEND LWIP_PATCH_INPUTS ${LWIP_PATCH_DIR}/${patch})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${LWIP_PATCH_INPUTS})

# Re-create the patched copy whenever the patch set changes.
set(LWIP_STAMP_TEXT "")
foreach(input IN LISTS LWIP_PATCH_INPUTS)
  file(SHA256 ${input} digest)
  string(APPEND LWIP_STAMP_TEXT "${digest}\n")
endforeach()
set(LWIP_STAMP ${LWIP_PATCHED_DIR}/.patched)
set(LWIP_STAMP_OLD "")
if(EXISTS ${LWIP_STAMP})
  file(READ ${LWIP_STAMP} LWIP_STAMP_OLD)
endif()
if(NOT LWIP_STAMP_OLD STREQUAL LWIP_STAMP_TEXT)
  find_program(PATCH_EXECUTABLE patch REQUIRED)
  file(REMOVE_RECURSE ${LWIP_PATCHED_DIR})
  file(COPY ${LWIP_UPSTREAM_DIR}/src DESTINATION ${LWIP_PATCHED_DIR})
  foreach(patch IN LISTS LWIP_PATCHES)
    message(STATUS "lwIP: applying ${patch}")
    execute_process(
      COMMAND ${PATCH_EXECUTABLE} -p1 --forward --batch --quiet -i ${LWIP_PATCH_DIR}/${patch}
      WORKING_DIRECTORY ${LWIP_PATCHED_DIR}
      RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "lwIP: ${patch} does not apply to third_party/lwip")
    endif()
  endforeach()
  file(WRITE ${LWIP_STAMP} "${LWIP_STAMP_TEXT}")
endif()

set(LWIP_SRC ${LWIP_PATCHED_DIR}/src)
add_library(libproxy_lwip OBJECT
  ${LWIP_SRC}/core/def.c
  ${LWIP_SRC}/core/inet_chksum.c
  ${LWIP_SRC}/core/init.c
  ${LWIP_SRC}/core/ip.c
  ${LWIP_SRC}/core/mem.c
  ${LWIP_SRC}/core/memp.c
  ${LWIP_SRC}/core/netif.c
  ${LWIP_SRC}/core/pbuf.c
  ${LWIP_SRC}/core/stats.c
  ${LWIP_SRC}/core/tcp.c
  ${LWIP_SRC}/core/tcp_in.c
  ${LWIP_SRC}/core/tcp_out.c
  ${LWIP_SRC}/core/timeouts.c
  ${LWIP_SRC}/core/udp.c
  ${LWIP_SRC}/core/ipv4/etharp.c
  ${LWIP_SRC}/core/ipv4/icmp.c
  ${LWIP_SRC}/core/ipv4/ip4.c
  ${LWIP_SRC}/core/ipv4/ip4_addr.c
  ${LWIP_SRC}/core/ipv4/ip4_frag.c
  ${LWIP_SRC}/netif/ethernet.c)
target_include_directories(libproxy_lwip SYSTEM PUBLIC
  ${LWIP_SRC}/include ${PROJECT_SOURCE_DIR}/libproxy/src/stack/port)
# Upstream code: no warnings of ours. Hidden symbols, so that an application that embeds
# libproxy may carry another lwIP of its own.
target_compile_options(libproxy_lwip PRIVATE -w)
set_target_properties(libproxy_lwip PROPERTIES
  C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
