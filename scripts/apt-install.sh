# Sourced by the install-*.sh scripts: apt_install PACKAGE WHY MISSING installs
# a Debian package with apt-get when running as root on a system that has it;
# elsewhere it prints MISSING (what goes without the package) and returns 1.
apt_install() {
  local package="$1" why="$2" missing="$3"
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "$missing" >&2
    return 1
  fi
  echo "installing Debian's $package with apt-get ($why)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$package" >/dev/null
}
