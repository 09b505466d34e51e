package dev.gatehouse.admin;

/**
 * One cluster member.
 *
 * @param id             the member's id
 * @param address        {@code host:port} of its cluster endpoint
 * @param local          whether this is the node answering the request
 * @param appliedVersion the shared configuration version the member runs
 * @param state          e.g. {@code active}, {@code joining}, {@code leaving}
 */
public record MemberStatus(String id, String address, boolean local, long appliedVersion, String state) {
}
