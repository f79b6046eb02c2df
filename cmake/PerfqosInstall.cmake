# What `cmake --install` puts where (issue #19), under GNUInstallDirs and pkg-config paths.
# Targets are named, and the installed headers listed one by one, so that moving sources between
# folders does not change what is installed. Included last by the top-level CMakeLists.txt.
include(GNUInstallDirs)

# Relative paths are under the install prefix. The unit names perfqosd by its full path, so set
# CMAKE_INSTALL_PREFIX when configuring (not only with `cmake --install --prefix`).
set(PERFQOS_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE PATH
    "Where perfqosd.service goes (Debian 12 packages: /lib/systemd/system)")
set(PERFQOS_TMPFILES_DIR "lib/tmpfiles.d" CACHE PATH
    "Where the tmpfiles.d entry for /run/perfqos goes")
set(PERFQOS_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE PATH "Where the bash completion of perfqosctl goes")
set(PERFQOS_HOOK_DIR "${CMAKE_INSTALL_LIBEXECDIR}/perfqos" CACHE PATH
    "Where perfqos-oci-hook goes (it is run by container runtimes, not by people)")
set(PERFQOS_OCI_HOOKS_DIR "${CMAKE_INSTALL_DATADIR}/containers/oci/hooks.d" CACHE PATH
    "Where perfqos.json goes for CRI-O and Podman (oci-hooks(5))")
set(PERFQOS_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions" CACHE PATH
    "Where the zsh completion of perfqosctl goes (Debian's zsh reads vendor-completions)")

# The two programs land in build/bin, where the README and `./dev ctl` find them.
set_target_properties(perfqosd perfqosctl perfqos-oci-hook PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bin")
# `--version` prints this.
target_compile_definitions(perfqosd PRIVATE PERFQOS_VERSION="${PROJECT_VERSION}")
target_compile_definitions(perfqosctl PRIVATE PERFQOS_VERSION="${PROJECT_VERSION}")

install(TARGETS perfqosd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS perfqosctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS perfqos-oci-hook RUNTIME DESTINATION ${PERFQOS_HOOK_DIR})
# The hooks.d entry names the installed hook by its full path.
if(IS_ABSOLUTE "${PERFQOS_HOOK_DIR}")
  set(PERFQOS_HOOK_PATH "${PERFQOS_HOOK_DIR}/perfqos-oci-hook")
else()
  set(PERFQOS_HOOK_PATH "${CMAKE_INSTALL_PREFIX}/${PERFQOS_HOOK_DIR}/perfqos-oci-hook")
endif()
configure_file(${PROJECT_SOURCE_DIR}/packaging/hooks.d/perfqos.json.in
               ${PROJECT_BINARY_DIR}/packaging/hooks.d/perfqos.json @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/hooks.d/perfqos.json
        DESTINATION ${PERFQOS_OCI_HOOKS_DIR})
install(TARGETS perfqos LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/perfqos/client.h
              ${PROJECT_SOURCE_DIR}/include/perfqos/client.hpp
              ${PROJECT_SOURCE_DIR}/include/perfqos/perf_qos_ioctl.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/perfqos)

# perfqos.pc, relocatable: the prefix is found from where the .pc file is installed.
file(RELATIVE_PATH PERFQOS_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" PERFQOS_PC_UP "${PERFQOS_PC_UP}")
set(PERFQOS_PC_PREFIX "\${pcfiledir}/${PERFQOS_PC_UP}")
set(PERFQOS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(PERFQOS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
configure_file(${PROJECT_SOURCE_DIR}/packaging/perfqos.pc.in ${PROJECT_BINARY_DIR}/perfqos.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/perfqos.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The service: the unit names the installed perfqosd.
configure_file(${PROJECT_SOURCE_DIR}/packaging/perfqosd.service.in
               ${PROJECT_BINARY_DIR}/packaging/perfqosd.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/perfqosd.service
        DESTINATION ${PERFQOS_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/perfqos.tmpfiles
        DESTINATION ${PERFQOS_TMPFILES_DIR} RENAME perfqos.conf)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/perfqosd.toml
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/perfqos)
# The bus policy (root owns perfqos' names, everyone calls) and the native API's introspection.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dbus/org.perfqos.Broker1.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dbus/org.perfqos.Broker1.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/interfaces)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fuse-tree.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/perfqosctl.bash
        DESTINATION ${PERFQOS_BASH_COMPLETION_DIR} RENAME perfqosctl)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/_perfqosctl
        DESTINATION ${PERFQOS_ZSH_COMPLETION_DIR})

# Man pages: man/NAME.SECTION.scd through scdoc into build/man/NAME.SECTION.
if(PERFQOS_BUILD_MAN)
  find_program(PERFQOS_SCDOC scdoc)
  if(NOT PERFQOS_SCDOC)
    message(FATAL_ERROR "scdoc not found: install it (Debian: apt-get install scdoc) or "
                        "configure with -DPERFQOS_BUILD_MAN=OFF")
  endif()
  set(pages perfqosd.8 perfqosctl.1 perfqosd.toml.5 libperfqos.3 perfqos-oci-hook.1)
  set(outputs)
  foreach(page ${pages})
    set(src ${PROJECT_SOURCE_DIR}/man/${page}.scd)
    set(out ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND sh -c "\"$0\" < \"$1\" > \"$2\"" ${PERFQOS_SCDOC} ${src} ${out}
      DEPENDS ${src} VERBATIM)
    list(APPEND outputs ${out})
    string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${outputs})
endif()
