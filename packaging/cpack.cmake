# SPDX-License-Identifier: MIT
# A Debian package of the agent, its example config and its systemd unit: `cpack -G DEB`.
# cpack and `install` package what is built instead of building everything first (tests
# included): build, then `cpack --config build/CPackConfig.cmake`. The packaging.deb test
# relies on this to check the package without compiling anything.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CPACK_PACKAGE_NAME wgwatch)
set(CPACK_PACKAGE_VENDOR "wgwatch")
set(CPACK_PACKAGE_CONTACT "wgwatch maintainers <wgwatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst creates the wgwatch system user with adduser; shlibdeps appends the libraries.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "wireguard-tools, wireguard-go")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/postrm;${PROJECT_SOURCE_DIR}/packaging/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
