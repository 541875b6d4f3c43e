# cmake/Package.cmake: the Debian package (CPack, DEB generator), included at
# the end of the top-level CMakeLists.txt, after every install() rule.
#
#   cmake -S . -B build-deb -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
#         -DCLUSTERD_BUILD_TESTS=OFF -DCLUSTERD_BUILD_BENCH=OFF
#   cmake --build build-deb --target package      # build-deb/clusterd_<VERSION>_amd64.deb
#
# The package needs a build configured for prefix /usr: clusterd has its
# stock-script folder compiled in (CMAKE_INSTALL_FULL_DATADIR), so a /usr/local
# build repackaged under /usr would look for them in /usr/local/share. And
# /etc needs CMAKE_INSTALL_SYSCONFDIR=/etc (relative, it would be /usr/etc).
# A build configured otherwise gets a `package` target that says so and fails.
#
# The maintainer scripts and conffiles are in debian/ (plain scripts, no
# debhelper). docs/operator-manual.md, "The Debian package", says what they do.

set(CLUSTERD_PACKAGE_MAINTAINER "clusterd maintainers <root@localhost>" CACHE STRING
    "Maintainer field of the Debian package")

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR NOT CMAKE_INSTALL_SYSCONFDIR STREQUAL "/etc")
  # A CPackConfig.cmake left by an earlier configure for /usr reserves the
  # name `package`; it describes a configuration that is gone.
  file(REMOVE ${CMAKE_BINARY_DIR}/CPackConfig.cmake ${CMAKE_BINARY_DIR}/CPackSourceConfig.cmake)
  add_custom_target(package
    COMMAND ${CMAKE_COMMAND} -E echo
            "package: the .deb needs a build for prefix /usr: configure a build folder with -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc (this one has ${CMAKE_INSTALL_PREFIX} and ${CMAKE_INSTALL_SYSCONFDIR}; README.md)"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
  return()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clusterd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${CLUSTERD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "console-driven HA monitor for two-node cold-standby clusters")
set(CPACK_PACKAGE_DESCRIPTION
"clusterd keeps a two-node cold-standby cluster's service alive from the
outside. A monitoring host holds both nodes' consoles open (serial lines,
terminal-server ports, ssh, ipmitool sol) and pings the active node. When the
active node fails, clusterd sends a BREAK to its console, fences it, reads the
fence back, and only then boots the standby from the shared disk. What to do
is a chat script; the stock one is for SPARC/OpenBoot.
.
The package has clusterd, clusterctl, chatc, the node simulator nodesim, the
crash-test harness crashtest, the init script (one clusterd per cluster of
/var/lib/clusterd/CList, run as the system user clusterd), systemd units, man
pages, Vim and bash-completion files.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # clusterd_<VERSION>_<ARCH>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries' packages come from dpkg-shlibdeps; the rest is what the
# maintainer scripts and the init script run: adduser (the system user),
# setcap (CAP_NET_RAW on /usr/bin/clusterd), awk (the init script). dpkg
# (start-stop-daemon), util-linux (setpriv), coreutils, sed and
# init-system-helpers (update-rc.d, invoke-rc.d) are Essential.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libcap2-bin, mawk | awk")
# ser2net: serial consoles behind a local terminal server; logrotate: the
# rotation in /etc/logrotate.d/clusterd.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ser2net, logrotate")
# What crashtest's scenarios use (docs/crash-test.md): namespaces and links,
# packet filters, ping, --load, the SMTP sink of alarm_delivery, pty pairs, and
# the BMC lab of the x86 scenarios (tools/bmcsim.sh: ipmi_sim and ipmitool).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "iproute2, nftables, iputils-ping, stress-ng, python3-aiosmtpd, socat, openipmi, ipmitool")

set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/debian/conffiles;${PROJECT_SOURCE_DIR}/debian/postinst;${PROJECT_SOURCE_DIR}/debian/prerm;${PROJECT_SOURCE_DIR}/debian/postrm")
# 0755 for the scripts, 0644 for conffiles, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
