# The Debian 13 package, from a Debian 12 machine (root only):
#
#   make test-deb13    makes the Debian 13 root (tools/debian13-root.sh:
#                      $RV_DEBIAN13_ROOT, else build/debian13) with Debian
#                      13's nginx, nginx-dev and the build dependencies,
#                      copies the tree into it (/usr/src/resend-verify: the
#                      files git knows of, as `make deb` copies them), runs
#                      `make deb` there (Debian 13's dh_nginx: the package
#                      depends on nginx-abi-1.26.3-*), then t/062, which
#                      installs it next to Debian 13's nginx, serves the job
#                      over HTTP/1.1, HTTP/2 and HTTP/3, and purges it.
#
# On Debian 13 itself, `make deb` builds the same package directly.

DEB13_ROOT  ?= $(or $(RV_DEBIAN13_ROOT),$(BUILD)/debian13)
DEB13_SRC   := /usr/src/resend-verify
DEB13_PKGS  ?= nginx curl ca-certificates make $(DEB_BUILD_DEPS)
DEB13_DEB   := $(DEB13_ROOT)$(DEB13_SRC)/build/deb/$(DEB_PKG)_$(DEB_VERSION)_$(DEB_ARCH).deb

.PHONY: deb13 test-deb13

deb13:
	@[ "$$(id -u)" = 0 ] || { echo "deb13: run as root (debootstrap, chroot)" >&2; exit 1; }
	$(TOP)/tools/debian13-root.sh $(DEB13_ROOT) $(DEB13_PKGS)
	@set -euo pipefail; \
	mkdir -p '$(DEB13_ROOT)$(DEB13_SRC)'; \
	cd '$(TOP)'; \
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard \
	    | while IFS= read -r -d '' f; do \
	          if [ -e "$$f" ]; then printf '%s\0' "$$f"; fi; \
	      done \
	    | tar --null -T - -cf - | tar -xf - -C '$(DEB13_ROOT)$(DEB13_SRC)'; \
	else \
	    tar -cf - config ngx_http_resend_verify_*.[ch] LICENSE README.md \
	        Makefile mk debian examples | tar -xf - -C '$(DEB13_ROOT)$(DEB13_SRC)'; \
	fi
	$(TOP)/tools/debian13-root.sh --run $(DEB13_ROOT) -- \
	    make --no-print-directory -C $(DEB13_SRC) deb
	@echo '$(DEB13_DEB)'

test-deb13: deb13
	RV_DEBIAN13_ROOT=$(DEB13_ROOT) RV_DEB13_DEB=$(DEB13_DEB) \
	    $(PROVE) $(PROVE_FLAGS) t/062-package-debian13.t
