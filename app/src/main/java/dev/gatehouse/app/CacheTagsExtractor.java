package dev.gatehouse.app;

import com.hazelcast.query.extractor.ValueCollector;
import com.hazelcast.query.extractor.ValueExtractor;

/**
 * The {@code tags} attribute of a cache entry, for the map's hash index: purge by tag finds its entries through the
 * index on the members that own them, without scanning the map. Reads the tags the value lists first, unverified
 * (a forged value is never served; at worst a purge also drops it). Public with a public constructor because
 * Hazelcast instantiates it by class name on every member.
 */
public final class CacheTagsExtractor implements ValueExtractor<byte[], Object> {

    public CacheTagsExtractor() {
    }

    @Override
    public void extract(byte[] target, Object argument, ValueCollector<Object> collector) {
        for (String tag : CacheEntryCodec.tags(target)) {
            collector.addObject(tag);
        }
    }
}
