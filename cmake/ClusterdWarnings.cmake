# clusterd_warnings(target): the one warning set every target of ours uses.
function(clusterd_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wconversion
                         -Wsign-conversion -Wnon-virtual-dtor -Wold-style-cast
                         # designated initializers leave the rest at their defaults on purpose
                         -Wno-missing-field-initializers)
  if(CLUSTERD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
