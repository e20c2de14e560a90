import * as $protobuf from "protobufjs/minimal.js";
import Long = require("long");

/** Namespace example. */
export namespace example {

    /**
     * Properties of a Ping.
     * @deprecated Use example.Ping.$Properties instead.
     */
    interface IPing extends example.Ping.$Properties {
    }

    /** Represents a Ping. */
    class Ping {

        /**
         * Constructs a new Ping.
         * @param [properties] Properties to set
         */
        constructor(properties?: example.Ping.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Ping seq. */
        seq: (number|Long);

        /**
         * Creates a new Ping instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Ping instance
         */
        static create(properties: example.Ping.$Shape): example.Ping & example.Ping.$Shape;
        static create(properties?: example.Ping.$Properties): example.Ping;

        /**
         * Encodes the specified Ping message. Does not implicitly {@link example.Ping.verify|verify} messages.
         * @param message Ping message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: example.Ping.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a Ping message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {example.Ping & example.Ping.$Shape} Ping
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): example.Ping & example.Ping.$Shape;
    }

    namespace Ping {

        /** Properties of a Ping. */
        interface $Properties {

            /** Ping seq */
            seq?: (number|Long|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a Ping. */
        type $Shape = example.Ping.$Properties;
    }

    /**
     * Properties of a Pong.
     * @deprecated Use example.Pong.$Properties instead.
     */
    interface IPong extends example.Pong.$Properties {
    }

    /** Represents a Pong. */
    class Pong {

        /**
         * Constructs a new Pong.
         * @param [properties] Properties to set
         */
        constructor(properties?: example.Pong.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Pong seq. */
        seq: (number|Long);

        /**
         * Creates a new Pong instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Pong instance
         */
        static create(properties: example.Pong.$Shape): example.Pong & example.Pong.$Shape;
        static create(properties?: example.Pong.$Properties): example.Pong;

        /**
         * Encodes the specified Pong message. Does not implicitly {@link example.Pong.verify|verify} messages.
         * @param message Pong message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: example.Pong.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a Pong message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {example.Pong & example.Pong.$Shape} Pong
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): example.Pong & example.Pong.$Shape;
    }

    namespace Pong {

        /** Properties of a Pong. */
        interface $Properties {

            /** Pong seq */
            seq?: (number|Long|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a Pong. */
        type $Shape = example.Pong.$Properties;
    }

    /**
     * Properties of an ErrorReply.
     * @deprecated Use example.ErrorReply.$Properties instead.
     */
    interface IErrorReply extends example.ErrorReply.$Properties {
    }

    /** Represents an ErrorReply. */
    class ErrorReply {

        /**
         * Constructs a new ErrorReply.
         * @param [properties] Properties to set
         */
        constructor(properties?: example.ErrorReply.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** ErrorReply code. */
        code: example.ErrorReply.Code;

        /** ErrorReply message. */
        message: string;

        /** ErrorReply seq. */
        seq: (number|Long);

        /**
         * Creates a new ErrorReply instance using the specified properties.
         * @param [properties] Properties to set
         * @returns ErrorReply instance
         */
        static create(properties: example.ErrorReply.$Shape): example.ErrorReply & example.ErrorReply.$Shape;
        static create(properties?: example.ErrorReply.$Properties): example.ErrorReply;

        /**
         * Encodes the specified ErrorReply message. Does not implicitly {@link example.ErrorReply.verify|verify} messages.
         * @param message ErrorReply message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: example.ErrorReply.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an ErrorReply message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {example.ErrorReply & example.ErrorReply.$Shape} ErrorReply
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): example.ErrorReply & example.ErrorReply.$Shape;
    }

    namespace ErrorReply {

        /** Properties of an ErrorReply. */
        interface $Properties {

            /** ErrorReply code */
            code?: (example.ErrorReply.Code|null);

            /** ErrorReply message */
            message?: (string|null);

            /** ErrorReply seq */
            seq?: (number|Long|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of an ErrorReply. */
        type $Shape = example.ErrorReply.$Properties;

        /** Code enum. */
        enum Code {

            /** CODE_UNSPECIFIED value */
            CODE_UNSPECIFIED = 0,

            /** CODE_DECODE value */
            CODE_DECODE = 1,

            /** CODE_UNKNOWN_PAYLOAD value */
            CODE_UNKNOWN_PAYLOAD = 2,

            /** CODE_BAD_FRAMES value */
            CODE_BAD_FRAMES = 3,

            /** CODE_TOO_LARGE value */
            CODE_TOO_LARGE = 4,

            /** CODE_HANDLER value */
            CODE_HANDLER = 5,

            /** CODE_UNAVAILABLE value */
            CODE_UNAVAILABLE = 6
        }
    }

    /**
     * Properties of an Envelope.
     * @deprecated Use example.Envelope.$Properties instead.
     */
    interface IEnvelope extends example.Envelope.$Properties {
    }

    /** Represents an Envelope. */
    class Envelope {

        /**
         * Constructs a new Envelope.
         * @param [properties] Properties to set
         */
        constructor(properties?: example.Envelope.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Envelope ping. */
        ping?: (example.Ping.$Properties|null);

        /** Envelope pong. */
        pong?: (example.Pong.$Properties|null);

        /** Envelope error. */
        error?: (example.ErrorReply.$Properties|null);

        /** Envelope payload. */
        payload?: ("ping"|"pong"|"error");

        /**
         * Creates a new Envelope instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Envelope instance
         */
        static create(properties: example.Envelope.$Shape): example.Envelope & example.Envelope.$Shape;
        static create(properties?: example.Envelope.$Properties): example.Envelope;

        /**
         * Encodes the specified Envelope message. Does not implicitly {@link example.Envelope.verify|verify} messages.
         * @param message Envelope message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: example.Envelope.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an Envelope message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {example.Envelope & example.Envelope.$Shape} Envelope
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): example.Envelope & example.Envelope.$Shape;
    }

    namespace Envelope {

        /** Properties of an Envelope. */
        interface $Properties {

            /** Envelope ping */
            ping?: (example.Ping.$Properties|null);

            /** Envelope pong */
            pong?: (example.Pong.$Properties|null);

            /** Envelope error */
            error?: (example.ErrorReply.$Properties|null);

            /** Envelope payload */
            payload?: ("ping"|"pong"|"error");

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Narrowed shape of an Envelope. */
        type $Shape = {
          ping?: example.Ping.$Shape|null;
          pong?: example.Pong.$Shape|null;
          error?: example.ErrorReply.$Shape|null;
          $unknowns?: Uint8Array[];
        } & (
          ({ payload?: undefined; ping?: null; pong?: null; error?: null }|{ payload?: "ping"; ping: example.Ping.$Shape; pong?: null; error?: null }|{ payload?: "pong"; ping?: null; pong: example.Pong.$Shape; error?: null }|{ payload?: "error"; ping?: null; pong?: null; error: example.ErrorReply.$Shape })
        );
    }
}
