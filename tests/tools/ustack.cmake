# ustack.cmake - the programs the user-stack tests (tests/runtime/ustack.sh)
# symbolise: one call chain (ustack_target.c) built as a PIE, as a
# non-PIE, stripped with its symbols in a separate file found through
# .gnu_debuglink, and calling into a shared library. Frame pointers and -O0
# keep every frame visible to the kernel's unwinder; no sanitizers, so the
# stacks hold only our functions.
set(USTACK_FLAGS -O0 -fno-omit-frame-pointer -fno-sanitize=all)

add_executable(ustack_pie tests/tools/ustack_target.c)
target_compile_options(ustack_pie PRIVATE ${USTACK_FLAGS} -fPIE)
target_link_options(ustack_pie PRIVATE -fno-sanitize=all -pie)

add_executable(ustack_nopie tests/tools/ustack_target.c)
target_compile_options(ustack_nopie PRIVATE ${USTACK_FLAGS} -fno-pie)
target_link_options(ustack_nopie PRIVATE -fno-sanitize=all -no-pie)

add_library(ustack_lib SHARED tests/tools/ustack_lib.c)
target_compile_options(ustack_lib PRIVATE ${USTACK_FLAGS})
target_link_options(ustack_lib PRIVATE -fno-sanitize=all)
add_executable(ustack_libuser tests/tools/ustack_target.c)
target_compile_definitions(ustack_libuser PRIVATE USTACK_WITH_LIB)
target_compile_options(ustack_libuser PRIVATE ${USTACK_FLAGS})
target_link_options(ustack_libuser PRIVATE -fno-sanitize=all)
target_link_libraries(ustack_libuser PRIVATE ustack_lib)

# The symbols go to ustack_stripped.debug next to it; the binary keeps only
# .dynsym and a .gnu_debuglink naming that file (with its CRC).
add_executable(ustack_stripped tests/tools/ustack_target.c)
target_compile_options(ustack_stripped PRIVATE ${USTACK_FLAGS})
target_link_options(ustack_stripped PRIVATE -fno-sanitize=all)
add_custom_command(TARGET ustack_stripped POST_BUILD
  COMMAND ${CMAKE_OBJCOPY} --only-keep-debug $<TARGET_FILE:ustack_stripped> $<TARGET_FILE:ustack_stripped>.debug
  COMMAND ${CMAKE_STRIP} --strip-all $<TARGET_FILE:ustack_stripped>
  COMMAND ${CMAKE_OBJCOPY} --add-gnu-debuglink=$<TARGET_FILE:ustack_stripped>.debug $<TARGET_FILE:ustack_stripped>
  WORKING_DIRECTORY $<TARGET_FILE_DIR:ustack_stripped>
  COMMENT "Splitting ustack_stripped's symbols into ustack_stripped.debug")
