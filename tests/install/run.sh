#!/bin/sh
# run.sh - the install test: installs libplexus-codec from a build tree into a scratch prefix,
# builds hello.c against it with pkg-config (shared, then static), runs both, and checks that
# the shared library needs nothing but zlib, cJSON and libc (libm, the dynamic loader, and the
# sanitizer runtimes when the build is sanitized).
#
#   run.sh BUILD_DIR PREFIX LIBDIR CC "CFLAGS" SANITIZED HELLO_C
set -eu
build=$1 prefix=$2 libdir=$3 cc=$4 cflags=$5 sanitized=$6 hello=$7
fail() { echo "install test: $*" >&2; exit 1; }

rm -rf "$prefix"
mkdir -p "$prefix"
# The codec's own install rules (the codec directory of the build tree).
cmake --install "$build/codec" --prefix "$prefix" >/dev/null || fail "cmake --install failed"
pcdir=$prefix/$libdir/pkgconfig
so=$prefix/$libdir/libplexus-codec.so
[ -f "$pcdir/plexus-codec.pc" ] || fail "no $pcdir/plexus-codec.pc"
[ -f "$prefix/include/plexus/codec.h" ] || fail "no installed plexus/codec.h"
[ -e "$so" ] && [ -f "$prefix/$libdir/libplexus-codec.a" ] || fail "libraries not installed"

# The .pc file locates its prefix relative to itself (${pcfiledir}), so no override is needed.
pc() { PKG_CONFIG_PATH=$pcdir pkg-config "$@" plexus-codec; }
pc --exists || fail "pkg-config cannot find plexus-codec"
cflags_pc=$(pc --cflags)
libs_pc=$(pc --libs)
libs_static=$(pc --static --libs | sed "s#-lplexus-codec#$prefix/$libdir/libplexus-codec.a#")
out=$prefix/out
mkdir -p "$out"

# shellcheck disable=SC2086 # flags are word lists
$cc $cflags $cflags_pc -o "$out/hello-shared" "$hello" $libs_pc -Wl,-rpath,"$prefix/$libdir" ||
    fail "building hello against the shared library failed"
# shellcheck disable=SC2086
$cc $cflags $cflags_pc -o "$out/hello-static" "$hello" $libs_static ||
    fail "building hello against the static library failed"

ldd "$out/hello-shared" | grep -q "$prefix/$libdir/libplexus-codec.so" ||
    fail "hello-shared does not load the installed library"
"$out/hello-shared" | grep -qx "hello: ok" || fail "hello-shared failed"
"$out/hello-static" | grep -qx "hello: ok" || fail "hello-static failed"
if readelf -d "$out/hello-static" | grep -q 'NEEDED.*libplexus-codec'; then
    fail "hello-static links the shared library"
fi

# Direct dependencies of the shared library.
allowed='^(libz\.so\.1|libcjson\.so\.1|libc\.so\.6|libm\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$'
if [ "$sanitized" = ON ] || [ "$sanitized" = 1 ]; then
    allowed='^(libz\.so\.1|libcjson\.so\.1|libc\.so\.6|libm\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|libasan\.so\.[0-9]+|libubsan\.so\.[0-9]+|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
fi
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entries in $so"
echo "$needed" | grep -q '^libz\.so' || fail "libplexus-codec.so does not link zlib"
echo "$needed" | grep -q '^libcjson\.so' || fail "libplexus-codec.so does not link cJSON"
bad=$(echo "$needed" | grep -Ev "$allowed" || true)
[ -z "$bad" ] || fail "libplexus-codec.so links more than zlib, cJSON and libc: $bad"
if ldd "$so" | grep -q "not found"; then fail "unresolved dependencies: $(ldd "$so")"; fi
echo "install test: ok (NEEDED: $(echo "$needed" | tr '\n' ' '))"
