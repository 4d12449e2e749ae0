# The Debian package, libnginx-mod-http-resend-verify (debian/).
#
#   make deb          build/deb/libnginx-mod-http-resend-verify_<version>_<arch>.deb
#   make test-deb     the package (if needed), then t/060-package.t, which
#                     installs it into the machine's nginx (root only)
#   make test-examples  t/061-examples.t: nginx -t of examples/nginx.conf
#   make clean-deb    removes build/deb
#
# The package is built with Debian's own tooling for nginx modules
# (nginx-dev: dh-sequence-nginx, the nginx_mod build system, dh_nginx), never
# in the repository root: the sources are copied into build/deb/<pkg>-<version>/
# and dpkg-buildpackage runs there.  What is copied: with DEB_FROM=worktree
# (the default) the files git knows of (tracked or untracked, not ignored) as
# they are in the working tree, like `make` builds the working tree; with
# DEB_FROM=HEAD the committed tree (`git archive HEAD`; debian/ and the two
# examples the package ships are taken from the working tree while HEAD does
# not have them yet).  Without
# git, the files the package needs.

DEB_PKG       := libnginx-mod-http-resend-verify
DEB_VERSION   := $(shell awk -F'[()]' 'NR == 1 { print $$2; exit }' $(TOP)/debian/changelog 2>/dev/null)
DEB_UPSTREAM  := $(firstword $(subst -, ,$(DEB_VERSION)))
DEB_ARCH      := $(shell dpkg --print-architecture 2>/dev/null)
DEB_DIR       := $(BUILD)/deb
DEB_SRCDIR    := $(DEB_DIR)/$(DEB_PKG)-$(DEB_UPSTREAM)
DEB_FILE      := $(DEB_DIR)/$(DEB_PKG)_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_FROM      ?= worktree
DEB_BUILD_DEPS := build-essential dpkg-dev debhelper fakeroot nginx-dev \
                  libyajl-dev libidn2-dev libssl-dev
DEB_INPUTS    := $(MODULE_FILES) $(shell find $(TOP)/debian -type f 2>/dev/null) \
                 $(TOP)/mk/deb.mk $(wildcard $(TOP)/README.md $(TOP)/LICENSE \
                 $(TOP)/examples/nginx.conf $(TOP)/examples/aliyun-credentials.example)

.PHONY: deb test-deb test-examples clean-deb

deb: $(DEB_FILE)

$(DEB_FILE): $(DEB_INPUTS)
	@set -euo pipefail; \
	missing=; \
	for p in $(DEB_BUILD_DEPS); do \
	    dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed$$' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "deb: missing build dependencies:$$missing" >&2; \
	        echo "deb: run as root, or: sudo apt-get install$$missing" >&2; \
	        exit 1; \
	    fi; \
	    echo "deb: installing$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq; \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@set -euo pipefail; \
	rm -rf '$(DEB_SRCDIR)'; \
	mkdir -p '$(DEB_SRCDIR)'; \
	cd '$(TOP)'; \
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    if [ '$(DEB_FROM)' = HEAD ]; then \
	        git archive --format=tar HEAD | tar -x -C '$(DEB_SRCDIR)'; \
	        for f in debian examples/nginx.conf examples/aliyun-credentials.example; do \
	            [ -e '$(DEB_SRCDIR)'/$$f ] || cp -a $$f '$(DEB_SRCDIR)'/$$f; \
	        done; \
	    else \
	        git ls-files -z --cached --others --exclude-standard \
	        | while IFS= read -r -d '' f; do \
	              if [ -e "$$f" ]; then printf '%s\0' "$$f"; fi; \
	          done \
	        | tar --null -T - -cf - | tar -xf - -C '$(DEB_SRCDIR)'; \
	    fi; \
	else \
	    cp -a config ngx_http_resend_verify_*.[ch] LICENSE README.md \
	        debian examples '$(DEB_SRCDIR)/'; \
	fi; \
	rm -f '$(DEB_DIR)'/$(DEB_PKG)_* '$(DEB_DIR)'/$(DEB_PKG)-dbgsym_*; \
	echo "deb: dpkg-buildpackage -us -uc -b in $(DEB_SRCDIR) (log: $(DEB_DIR)/build.log)"; \
	cd '$(DEB_SRCDIR)'; \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    dpkg-buildpackage -us -uc -b > '$(DEB_DIR)/build.log' 2>&1 \
	    || { tail -n 40 '$(DEB_DIR)/build.log' >&2; exit 1; }; \
	test -f '$@' || { echo "deb: $@ was not produced" >&2; ls '$(DEB_DIR)' >&2; exit 1; }; \
	touch '$@'; \
	echo '$@'

test-deb: deb
	$(PROVE) $(PROVE_FLAGS) t/060-package.t

test-examples:
	$(PROVE) $(PROVE_FLAGS) t/061-examples.t

clean-deb:
	rm -rf '$(DEB_DIR)' t/servroot-pkg t/servroot-examples
