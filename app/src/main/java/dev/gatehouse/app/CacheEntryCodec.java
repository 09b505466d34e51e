package dev.gatehouse.app;

import dev.gatehouse.proxy.cache.StoredResponse;
import dev.gatehouse.proxy.cache.StoredResponse.Header;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The stored form of a cache entry: all the variants under one primary key, written once into one byte array and
 * signed with the cluster secret ({@link ClusterSeal#signInPlace}, bound to the map and the key). No Java
 * serialization: big-endian fixed-width numbers and length-prefixed UTF-8, a version byte first.
 *
 * <pre>
 * value   := 'G' 0x01 0x01 payload tag[32]                      (ClusterSeal's signed value)
 * payload := version=1 u8 | tags | variantCount i32 | variant*   (newest first)
 * tags    := count i32 | (len i32, utf8)*                       (union of the variants' tags, first: read unverified
 *                                                                by the index extractor)
 * variant := status u16 | requestTime i64 | responseTime i64 | storedAt i64 | keepUntil i64 (epoch ms)
 *            | vary fields | tags | header fields | bodyLen i32 | body
 * fields  := count i32 | (name, value)*
 * </pre>
 */
final class CacheEntryCodec {

    static final byte VERSION = 1;

    private CacheEntryCodec() {
    }

    /** The whole value's size in bytes, signature included, without building it. */
    static long encodedSize(List<StoredResponse> variants) {
        long n = ClusterSeal.SIGNED_OVERHEAD + 1 + stringsSize(unionTags(variants)) + 4;
        for (StoredResponse v : variants) {
            n += 2 + 8 * 4 + fieldsSize(v.vary()) + stringsSize(v.tags()) + fieldsSize(v.headers()) + 4
                    + v.body().remaining();
        }
        return n;
    }

    /** The signed value of {@code variants} stored under {@code key} of {@code map}. */
    static byte[] encode(ClusterSeal seal, String map, String key, List<StoredResponse> variants) {
        long size = encodedSize(variants);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("entry: " + size + " bytes (expected: < 2GB)");
        }
        byte[] frame = new byte[(int) size];
        ByteBuffer out = ByteBuffer.wrap(frame);
        out.position(ClusterSeal.SIGNED_PAYLOAD_OFFSET);
        out.put(VERSION);
        putStrings(out, unionTags(variants));
        out.putInt(variants.size());
        for (StoredResponse v : variants) {
            out.putShort((short) v.status());
            out.putLong(v.requestTime().toEpochMilli());
            out.putLong(v.responseTime().toEpochMilli());
            out.putLong(v.storedAt().toEpochMilli());
            out.putLong(v.keepUntil().toEpochMilli());
            putFields(out, v.vary());
            putStrings(out, v.tags());
            putFields(out, v.headers());
            ByteBuffer body = v.body();
            out.putInt(body.remaining());
            out.put(body);
        }
        if (out.position() != frame.length - 32) {
            throw new IllegalStateException("encoded " + out.position() + " of " + frame.length);
        }
        return seal.signInPlace(map, key, frame);
    }

    /**
     * The variants of a value read from {@code map} under {@code key}; bodies are read-only views of {@code value}.
     *
     * @throws ClusterSeal.Rejected when it is not authentic or not well formed
     */
    static List<StoredResponse> decode(ClusterSeal seal, String map, String key, byte[] value)
            throws ClusterSeal.Rejected {
        ByteBuffer in = seal.openSigned(map, key, value);
        try {
            byte version = in.get();
            if (version != VERSION) {
                throw new ClusterSeal.Rejected("unknown cache entry version " + version);
            }
            readStrings(in);
            int count = count(in);
            List<StoredResponse> variants = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int status = in.getShort() & 0xFFFF;
                Instant requestTime = Instant.ofEpochMilli(in.getLong());
                Instant responseTime = Instant.ofEpochMilli(in.getLong());
                Instant storedAt = Instant.ofEpochMilli(in.getLong());
                Instant keepUntil = Instant.ofEpochMilli(in.getLong());
                List<Header> vary = readFields(in);
                List<String> tags = readStrings(in);
                List<Header> headers = readFields(in);
                int bodyLen = count(in);
                ByteBuffer body = in.slice(in.position(), bodyLen);
                in.position(in.position() + bodyLen);
                variants.add(new StoredResponse(status, headers, body, requestTime, responseTime, vary, tags,
                        storedAt, keepUntil));
            }
            if (in.hasRemaining()) {
                throw new ClusterSeal.Rejected("trailing bytes");
            }
            return variants;
        } catch (RuntimeException e) {
            // An authentic value that does not parse was written by another version of the format: not served.
            throw new ClusterSeal.Rejected("malformed cache entry: " + e);
        }
    }

    /**
     * The tags of a stored value, read without verifying it (for the map's index only: a forged value never gets
     * served, whatever its tags). Empty when the value is not one.
     */
    static List<String> tags(byte[] value) {
        if (value == null || value.length < ClusterSeal.SIGNED_OVERHEAD + 1 || value[0] != 'G'
                || value[ClusterSeal.SIGNED_PAYLOAD_OFFSET] != VERSION) {
            return List.of();
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(value, ClusterSeal.SIGNED_PAYLOAD_OFFSET + 1,
                    value.length - ClusterSeal.SIGNED_OVERHEAD - 1);
            return readStrings(in);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** The MAC tag of a signed value: a fingerprint of its whole content (compare-and-set). */
    static byte[] fingerprint(byte[] value) {
        return value == null || value.length < 32 ? null
                : java.util.Arrays.copyOfRange(value, value.length - 32, value.length);
    }

    static List<String> unionTags(List<StoredResponse> variants) {
        Set<String> all = new LinkedHashSet<>();
        for (StoredResponse v : variants) {
            all.addAll(v.tags());
        }
        return List.copyOf(all);
    }

    private static long stringsSize(List<String> strings) {
        long n = 4;
        for (String s : strings) {
            n += 4 + utf8Length(s);
        }
        return n;
    }

    private static long fieldsSize(List<Header> fields) {
        long n = 4;
        for (Header h : fields) {
            n += 8 + utf8Length(h.name()) + utf8Length(h.value());
        }
        return n;
    }

    /** UTF-8 length without encoding (unpaired surrogates count as '?', as String.getBytes writes them). */
    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static void putString(ByteBuffer out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(b.length);
        out.put(b);
    }

    private static void putStrings(ByteBuffer out, List<String> strings) {
        out.putInt(strings.size());
        for (String s : strings) {
            putString(out, s);
        }
    }

    private static void putFields(ByteBuffer out, List<Header> fields) {
        out.putInt(fields.size());
        for (Header h : fields) {
            putString(out, h.name());
            putString(out, h.value());
        }
    }

    private static int count(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("count " + n + " with " + in.remaining() + " bytes left");
        }
        return n;
    }

    private static String readString(ByteBuffer in) {
        int len = count(in);
        String s = new String(in.array(), in.arrayOffset() + in.position(), len, StandardCharsets.UTF_8);
        in.position(in.position() + len);
        return s;
    }

    private static List<String> readStrings(ByteBuffer in) {
        int n = count(in);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readString(in));
        }
        return out;
    }

    private static List<Header> readFields(ByteBuffer in) {
        int n = count(in);
        List<Header> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new Header(readString(in), readString(in)));
        }
        return out;
    }
}
