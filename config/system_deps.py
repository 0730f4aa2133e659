"""Install or report the Debian packages the test suite needs (run by ``make test``)."""

import os
import shutil
import subprocess
import sys

# package -> a file that shows it is installed
PACKAGES = {
    "chromium": "/usr/bin/chromium",
    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "poppler-utils": "/usr/bin/pdftotext",
    "gettext": "/usr/bin/xgettext",  # the catalogue-completeness test runs makemessages
}


def main() -> int:
    missing = [name for name, marker in PACKAGES.items() if not os.path.exists(marker)]
    if not missing:
        return 0
    can_apt = shutil.which("apt-get") is not None and os.geteuid() == 0
    if can_apt:
        print(f"Installing Debian packages: {' '.join(missing)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)  # noqa: S607
        result = subprocess.run(  # noqa: S603
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],  # noqa: S607
            check=False,
            env=env,
        )
        if result.returncode == 0:
            return 0
    print(
        "Missing system packages for the tests: "
        + ", ".join(missing)
        + ". Install them with: sudo apt-get install "
        + " ".join(missing),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
