# Warnings and code generation for every target of ours (added through rwkvs_flags).
add_library(rwkvs_flags INTERFACE)
target_compile_options(rwkvs_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
if(RWKVS_NATIVE)
  target_compile_options(rwkvs_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
else()
  target_compile_options(rwkvs_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-mavx2 -mfma>)
endif()
if(RWKVS_SANITIZE)
  target_compile_options(rwkvs_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(rwkvs_flags INTERFACE -fsanitize=address,undefined)
endif()
