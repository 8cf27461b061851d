# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Fetching Debian source packages when the newest version cannot be had.
# Sourced by tools/build-static and by its test (test/tools/test-debian-source).
#
# An archive, mirror or caching proxy may list a source version in its Sources
# index and still answer 404 for its files (seen with bookworm-security's
# libzstd 1.5.4+dfsg2-5+deb12u1, while bookworm's 1.5.4+dfsg2-5 downloads
# fine). So each package is fetched by walking a ladder: every version apt
# knows, newest first, until one downloads and unpacks (dpkg-source -x checks
# the files against the .dsc's checksums). Every failure is kept with its
# reason, so that a package none of whose versions can be had is reported
# with each version tried and why it failed.

# source_versions PKG: the versions of source package PKG in an
# `apt-cache showsrc` listing read from stdin, newest first, each once.
source_versions() {
	local pkg=$1 v i
	local -a sorted=()
	while read -r v; do
		# Insertion in Debian version order (epochs, ~, revisions): sort -V
		# does not know it.
		for ((i = ${#sorted[@]}; i > 0; i--)); do
			dpkg --compare-versions "${sorted[i - 1]}" gt "$v" || break
			sorted[i]=${sorted[i - 1]}
		done
		sorted[i]=$v
	done < <(awk -v p="$pkg" '
		$1 == "Package:" { cur = $2 }
		$1 == "Version:" && cur == p && !seen[$2]++ { print $2 }')
	# newest first
	for ((i = ${#sorted[@]} - 1; i >= 0; i--)); do
		printf '%s\n' "${sorted[i]}"
	done
}

# source_download PKG VERSION: download the .dsc and its files into the
# current directory. The test replaces this function.
source_download() {
	local sandbox=()
	# apt drops to _apt for downloads; it cannot write into root's cache.
	[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
	apt-get -q "${sandbox[@]}" source --only-source --download-only "$1=$2"
}

# first_error TEXT: the line of a tool's output that says what went wrong:
# apt's first "E:" line (it names the URL that failed), else dpkg's first
# "error" line, else the last line.
first_error() {
	local line
	line=$(grep -m1 '^E: ' <<<"$1") ||
		line=$(grep -m1 -i 'error' <<<"$1") ||
		line=$(grep -v '^[[:space:]]*$' <<<"$1" | tail -n 1)
	printf '%s\n' "${line:-(no message)}"
}

# fetch_source PKG DLROOT VERSION...: fetch the first of the VERSIONs that
# downloads and verifies into DLROOT/PKG_VERSION/ and set fetched_version to
# it. A version already verified there by an earlier run is taken as it is,
# without the network. Each version that failed before the one taken is in
# fetch_errors ("VERSION: reason"). Returns 1 when no version could be had.
# shellcheck disable=SC2034 # results for the caller
fetched_version=
fetch_errors=()
fetch_source() {
	local pkg=$1 root=$2 v dir tmp out
	local -a dsc
	shift 2
	fetched_version=
	fetch_errors=()
	for v in "$@"; do
		dir=$root/${pkg}_$v
		if [ -f "$dir/.verified" ]; then
			# shellcheck disable=SC2034 # a result for the caller
			fetched_version=$v
			return 0
		fi
		tmp=$(mktemp -d "$root/.fetch-$pkg.XXXXXX")
		if ! out=$(cd "$tmp" && source_download "$pkg" "$v" 2>&1); then
			fetch_errors+=("$v: $(first_error "$out")")
			rm -rf "$tmp"
			continue
		fi
		dsc=("$tmp"/*.dsc)
		if [ ${#dsc[@]} -ne 1 ] || [ ! -f "${dsc[0]}" ]; then
			fetch_errors+=("$v: the download brought ${#dsc[@]} .dsc files, not one")
			rm -rf "$tmp"
			continue
		fi
		# Unpacking checks every file against the .dsc; the tree is not
		# kept (the build unpacks again into its own work directory).
		if ! out=$(dpkg-source -x "${dsc[0]}" "$tmp/.unpacked" 2>&1); then
			fetch_errors+=("$v: downloaded but does not unpack: $(first_error "$out")")
			rm -rf "$tmp"
			continue
		fi
		rm -rf "$tmp/.unpacked"
		: >"$tmp/.verified"
		rm -rf "$dir"
		mv "$tmp" "$dir"
		# shellcheck disable=SC2034 # a result for the caller
		fetched_version=$v
		return 0
	done
	return 1
}

# fetch_report PKG: what fetch_source left in fetch_errors, one line each,
# for the admin: after a fallback, why the newer versions were passed over;
# after a failure, every version tried and its error.
fetch_report() {
	local e
	for e in "${fetch_errors[@]}"; do
		printf '  %s %s\n' "$1" "$e"
	done
}
