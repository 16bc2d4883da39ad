#!/bin/bash -e
# Install Doorstep into the image: image-build/install.sh does all of it.
# Runs on the build host; install.sh chroots into ROOTFS_DIR itself.
# Set in pi-gen's config: export DOORSTEP_WHEEL=/path/to/doorstep-*.whl
# and, for a local Mosquitto bridged to the community's broker,
# export DOORSTEP_INSTALL_FLAGS=--with-mosquitto-bridge
# shellcheck disable=SC2086  # DOORSTEP_INSTALL_FLAGS is a list of flags
"${STAGE_DIR}/../../install.sh" --root "${ROOTFS_DIR}" --wheel "${DOORSTEP_WHEEL:?set DOORSTEP_WHEEL in the pi-gen config}" ${DOORSTEP_INSTALL_FLAGS:-}
