package lathe.sink;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;

/**
 * Messages between a recording's own actors, which always live in the same JVM (parent and children): they are
 * never serialized, so they may carry ByteStrings and file state freely.
 */
public interface LocalMessage extends NoSerializationVerificationNeeded {}
