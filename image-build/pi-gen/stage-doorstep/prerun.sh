#!/bin/bash -e
# pi-gen stage: start from the previous stage's root, as every pi-gen stage does.
if [ ! -d "${ROOTFS_DIR}" ]; then
    copy_previous
fi
