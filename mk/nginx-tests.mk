# nginx's own test suite (nginx-tests, ../shared/nginx/nginx-tests-*.tar.gz)
# against mainline nginx without and with the module (issue #10):
#
#   make test-nginx-tests   the results must be identical, file by file
#
# "With": the matrix's static build of NGINX_TESTS_VERSION (the module built
# in).  "Without": the nginx binary of the matrix's dynamic build of the same
# version, run without load_module: the same sources and configure flags
# (NGX_CONF_FLAGS, --with-http_v3_module), no module code.  Both builds are
# the matrix's (mk/matrix.mk), so `make test` builds them once.  Results in
# build/nginx-tests/; see tools/nginx-tests.sh.

NGINX_TESTS_VERSION ?= 1.31.4
NGINX_TESTS_WITH    := $(MATRIX)/$(NGINX_TESTS_VERSION)-static/objs/nginx
NGINX_TESTS_WITHOUT := $(MATRIX)/$(NGINX_TESTS_VERSION)-dynamic/objs/nginx

.PHONY: test-nginx-tests

test-nginx-tests: $(NGINX_TESTS_WITH) $(NGINX_TESTS_WITHOUT)
	$(TOP)/tools/nginx-tests.sh $(NGINX_TESTS_WITHOUT) $(NGINX_TESTS_WITH)
