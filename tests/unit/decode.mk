# unit tests: decode
check_PROGRAMS += tests/unit/test_decode
TESTS += tests/unit/test_decode
tests_unit_test_decode_SOURCES = tests/unit/test_decode.c \
	tests/unit/test_decode_corpus.c tests/unit/test_decode_diff.c
tests_unit_test_decode_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_decode_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
noinst_HEADERS += tests/unit/test_decode_corpus.h tests/unit/test_decode_diff.h

# Diagnostic: the decoder's agreement with capstone, and its speed.
noinst_PROGRAMS += tests/unit/decode_agreement
tests_unit_decode_agreement_SOURCES = tests/unit/decode_agreement.c \
	tests/unit/test_decode_corpus.c tests/unit/test_decode_diff.c
tests_unit_decode_agreement_LDADD = $(BT386_LIBS)
