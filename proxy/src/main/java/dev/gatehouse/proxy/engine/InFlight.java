package dev.gatehouse.proxy.engine;

/**
 * A request waiting for an upstream answer, watched by its {@link ProxyHandler}'s deadline sweep. The links make an
 * intrusive list: adding and removing allocate nothing.
 */
abstract class InFlight {

    InFlight prevInFlight;
    InFlight nextInFlight;
    boolean inFlight;

    /** Called by the sweep about every 10 ms until untracked: act on whichever deadline has passed. */
    abstract void checkDeadlines(long nowNanos);
}
