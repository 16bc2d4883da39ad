# Shared by check-arm64.sh and boot-arm64.sh (sourced, not run): retrying downloads and
# installing the host's missing tools. The caller defines say and die.
# shellcheck shell=bash

# Retry a command that downloads: mirrors and networks hiccup.
retry() {
    local attempt
    for attempt in 1 2 3; do
        if "$@"; then
            return 0
        fi
        say "attempt $attempt of 3 failed: $*"
        sleep $((attempt * 5))
    done
    return 1
}

# Install these Debian packages on the host (nothing when none are named).
install_missing() {
    (($#)) || return 0
    say "installing $*"
    retry apt-get -o Acquire::Retries=3 update -qq || die "apt-get update failed"
    retry env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y -qq \
        --no-install-recommends "$@" >/dev/null || die "could not install $*"
}
