/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const example = $root.example = (() => {

    /**
     * Namespace example.
     * @exports example
     * @namespace
     */
    const example = {};

    example.Ping = (function() {

        /**
         * Properties of a Ping.
         * @typedef {Object} example.Ping.$Properties
         * @property {number|Long|null} [seq] Ping seq
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a Ping.
         * @memberof example
         * @interface IPing
         * @augments example.Ping.$Properties
         * @deprecated Use example.Ping.$Properties instead.
         */

        /**
         * Shape of a Ping.
         * @typedef {example.Ping.$Properties} example.Ping.$Shape
         */

        /**
         * Constructs a new Ping.
         * @memberof example
         * @classdesc Represents a Ping.
         * @constructor
         * @param {example.Ping.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const Ping = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Ping seq.
         * @member {number|Long} seq
         * @memberof example.Ping
         * @instance
         */
        Ping.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

        /**
         * Creates a new Ping instance using the specified properties.
         * @function create
         * @memberof example.Ping
         * @static
         * @param {example.Ping.$Properties=} [properties] Properties to set
         * @returns {example.Ping} Ping instance
         * @type {{
         *   (properties: example.Ping.$Shape): example.Ping & example.Ping.$Shape;
         *   (properties?: example.Ping.$Properties): example.Ping;
         * }}
         */
        Ping.create = function(properties) {
            return new Ping(properties);
        };

        /**
         * Encodes the specified Ping message. Does not implicitly {@link example.Ping.verify|verify} messages.
         * @function encode
         * @memberof example.Ping
         * @static
         * @param {example.Ping.$Properties} message Ping message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Ping.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.seq != null && $Object.hasOwnProperty.call(message, "seq") && (typeof message.seq === "object" ? message.seq.low || message.seq.high : message.seq !== 0))
                writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.seq);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a Ping message from the specified reader or buffer.
         * @function decode
         * @memberof example.Ping
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {example.Ping & example.Ping.$Shape} Ping
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Ping.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.example.Ping();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                            message.seq = value;
                        else
                            delete message.seq;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Ping;
    })();

    example.Pong = (function() {

        /**
         * Properties of a Pong.
         * @typedef {Object} example.Pong.$Properties
         * @property {number|Long|null} [seq] Pong seq
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a Pong.
         * @memberof example
         * @interface IPong
         * @augments example.Pong.$Properties
         * @deprecated Use example.Pong.$Properties instead.
         */

        /**
         * Shape of a Pong.
         * @typedef {example.Pong.$Properties} example.Pong.$Shape
         */

        /**
         * Constructs a new Pong.
         * @memberof example
         * @classdesc Represents a Pong.
         * @constructor
         * @param {example.Pong.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const Pong = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Pong seq.
         * @member {number|Long} seq
         * @memberof example.Pong
         * @instance
         */
        Pong.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

        /**
         * Creates a new Pong instance using the specified properties.
         * @function create
         * @memberof example.Pong
         * @static
         * @param {example.Pong.$Properties=} [properties] Properties to set
         * @returns {example.Pong} Pong instance
         * @type {{
         *   (properties: example.Pong.$Shape): example.Pong & example.Pong.$Shape;
         *   (properties?: example.Pong.$Properties): example.Pong;
         * }}
         */
        Pong.create = function(properties) {
            return new Pong(properties);
        };

        /**
         * Encodes the specified Pong message. Does not implicitly {@link example.Pong.verify|verify} messages.
         * @function encode
         * @memberof example.Pong
         * @static
         * @param {example.Pong.$Properties} message Pong message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Pong.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.seq != null && $Object.hasOwnProperty.call(message, "seq") && (typeof message.seq === "object" ? message.seq.low || message.seq.high : message.seq !== 0))
                writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.seq);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a Pong message from the specified reader or buffer.
         * @function decode
         * @memberof example.Pong
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {example.Pong & example.Pong.$Shape} Pong
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Pong.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.example.Pong();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                            message.seq = value;
                        else
                            delete message.seq;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Pong;
    })();

    example.ErrorReply = (function() {

        /**
         * Properties of an ErrorReply.
         * @typedef {Object} example.ErrorReply.$Properties
         * @property {example.ErrorReply.Code|null} [code] ErrorReply code
         * @property {string|null} [message] ErrorReply message
         * @property {number|Long|null} [seq] ErrorReply seq
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an ErrorReply.
         * @memberof example
         * @interface IErrorReply
         * @augments example.ErrorReply.$Properties
         * @deprecated Use example.ErrorReply.$Properties instead.
         */

        /**
         * Shape of an ErrorReply.
         * @typedef {example.ErrorReply.$Properties} example.ErrorReply.$Shape
         */

        /**
         * Constructs a new ErrorReply.
         * @memberof example
         * @classdesc Represents an ErrorReply.
         * @constructor
         * @param {example.ErrorReply.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const ErrorReply = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * ErrorReply code.
         * @member {example.ErrorReply.Code} code
         * @memberof example.ErrorReply
         * @instance
         */
        ErrorReply.prototype.code = 0;

        /**
         * ErrorReply message.
         * @member {string} message
         * @memberof example.ErrorReply
         * @instance
         */
        ErrorReply.prototype.message = "";

        /**
         * ErrorReply seq.
         * @member {number|Long} seq
         * @memberof example.ErrorReply
         * @instance
         */
        ErrorReply.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

        /**
         * Creates a new ErrorReply instance using the specified properties.
         * @function create
         * @memberof example.ErrorReply
         * @static
         * @param {example.ErrorReply.$Properties=} [properties] Properties to set
         * @returns {example.ErrorReply} ErrorReply instance
         * @type {{
         *   (properties: example.ErrorReply.$Shape): example.ErrorReply & example.ErrorReply.$Shape;
         *   (properties?: example.ErrorReply.$Properties): example.ErrorReply;
         * }}
         */
        ErrorReply.create = function(properties) {
            return new ErrorReply(properties);
        };

        /**
         * Encodes the specified ErrorReply message. Does not implicitly {@link example.ErrorReply.verify|verify} messages.
         * @function encode
         * @memberof example.ErrorReply
         * @static
         * @param {example.ErrorReply.$Properties} message ErrorReply message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        ErrorReply.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.code != null && $Object.hasOwnProperty.call(message, "code") && message.code !== 0)
                writer.uint32(/* id 1, wireType 0 =*/8).int32(message.code);
            if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                writer.uint32(/* id 2, wireType 2 =*/18).string(message.message);
            if (message.seq != null && $Object.hasOwnProperty.call(message, "seq") && (typeof message.seq === "object" ? message.seq.low || message.seq.high : message.seq !== 0))
                writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.seq);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an ErrorReply message from the specified reader or buffer.
         * @function decode
         * @memberof example.ErrorReply
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {example.ErrorReply & example.ErrorReply.$Shape} ErrorReply
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        ErrorReply.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.example.ErrorReply();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.int32())
                            message.code = value;
                        else
                            delete message.code;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.message = value;
                        else
                            delete message.message;
                        continue;
                    }
                case 3: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                            message.seq = value;
                        else
                            delete message.seq;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        /**
         * Code enum.
         * @name example.ErrorReply.Code
         * @enum {number}
         * @property {number} CODE_UNSPECIFIED=0 CODE_UNSPECIFIED value
         * @property {number} CODE_DECODE=1 CODE_DECODE value
         * @property {number} CODE_UNKNOWN_PAYLOAD=2 CODE_UNKNOWN_PAYLOAD value
         * @property {number} CODE_BAD_FRAMES=3 CODE_BAD_FRAMES value
         * @property {number} CODE_TOO_LARGE=4 CODE_TOO_LARGE value
         * @property {number} CODE_HANDLER=5 CODE_HANDLER value
         * @property {number} CODE_UNAVAILABLE=6 CODE_UNAVAILABLE value
         */
        ErrorReply.Code = (function() {
            const valuesById = $Object.create(null), values = $Object.create(valuesById);
            values[valuesById[0] = "CODE_UNSPECIFIED"] = 0;
            values[valuesById[1] = "CODE_DECODE"] = 1;
            values[valuesById[2] = "CODE_UNKNOWN_PAYLOAD"] = 2;
            values[valuesById[3] = "CODE_BAD_FRAMES"] = 3;
            values[valuesById[4] = "CODE_TOO_LARGE"] = 4;
            values[valuesById[5] = "CODE_HANDLER"] = 5;
            values[valuesById[6] = "CODE_UNAVAILABLE"] = 6;
            return values;
        })();

        return ErrorReply;
    })();

    example.Envelope = (function() {

        /**
         * Properties of an Envelope.
         * @typedef {Object} example.Envelope.$Properties
         * @property {example.Ping.$Properties|null} [ping] Envelope ping
         * @property {example.Pong.$Properties|null} [pong] Envelope pong
         * @property {example.ErrorReply.$Properties|null} [error] Envelope error
         * @property {"ping"|"pong"|"error"} [payload] Envelope payload
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an Envelope.
         * @memberof example
         * @interface IEnvelope
         * @augments example.Envelope.$Properties
         * @deprecated Use example.Envelope.$Properties instead.
         */

        /**
         * Narrowed shape of an Envelope.
         * @typedef {{
         *   ping?: example.Ping.$Shape|null;
         *   pong?: example.Pong.$Shape|null;
         *   error?: example.ErrorReply.$Shape|null;
         *   $unknowns?: Array.<Uint8Array>;
         * } & (
         *   ({ payload?: undefined; ping?: null; pong?: null; error?: null }|{ payload?: "ping"; ping: example.Ping.$Shape; pong?: null; error?: null }|{ payload?: "pong"; ping?: null; pong: example.Pong.$Shape; error?: null }|{ payload?: "error"; ping?: null; pong?: null; error: example.ErrorReply.$Shape })
         * )} example.Envelope.$Shape
         */

        /**
         * Constructs a new Envelope.
         * @memberof example
         * @classdesc Represents an Envelope.
         * @constructor
         * @param {example.Envelope.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const Envelope = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Envelope ping.
         * @member {example.Ping.$Properties|null|undefined} ping
         * @memberof example.Envelope
         * @instance
         */
        Envelope.prototype.ping = null;

        /**
         * Envelope pong.
         * @member {example.Pong.$Properties|null|undefined} pong
         * @memberof example.Envelope
         * @instance
         */
        Envelope.prototype.pong = null;

        /**
         * Envelope error.
         * @member {example.ErrorReply.$Properties|null|undefined} error
         * @memberof example.Envelope
         * @instance
         */
        Envelope.prototype.error = null;

        // OneOf field names bound to virtual getters and setters
        let $oneOfFields;

        /**
         * Envelope payload.
         * @member {"ping"|"pong"|"error"|undefined} payload
         * @memberof example.Envelope
         * @instance
         */
        $Object.defineProperty(Envelope.prototype, "payload", {
            get: $util.oneOfGetter($oneOfFields = ["ping", "pong", "error"]),
            set: $util.oneOfSetter($oneOfFields)
        });

        /**
         * Creates a new Envelope instance using the specified properties.
         * @function create
         * @memberof example.Envelope
         * @static
         * @param {example.Envelope.$Properties=} [properties] Properties to set
         * @returns {example.Envelope} Envelope instance
         * @type {{
         *   (properties: example.Envelope.$Shape): example.Envelope & example.Envelope.$Shape;
         *   (properties?: example.Envelope.$Properties): example.Envelope;
         * }}
         */
        Envelope.create = function(properties) {
            return new Envelope(properties);
        };

        /**
         * Encodes the specified Envelope message. Does not implicitly {@link example.Envelope.verify|verify} messages.
         * @function encode
         * @memberof example.Envelope
         * @static
         * @param {example.Envelope.$Properties} message Envelope message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Envelope.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.ping != null && $Object.hasOwnProperty.call(message, "ping"))
                $root.example.Ping.encode(message.ping, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
            if (message.pong != null && $Object.hasOwnProperty.call(message, "pong"))
                $root.example.Pong.encode(message.pong, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
            if (message.error != null && $Object.hasOwnProperty.call(message, "error"))
                $root.example.ErrorReply.encode(message.error, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an Envelope message from the specified reader or buffer.
         * @function decode
         * @memberof example.Envelope
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {example.Envelope & example.Envelope.$Shape} Envelope
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Envelope.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.example.Envelope();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        message.ping = $root.example.Ping.decode(reader, reader.size(), $undefined, _depth + 1, message.ping);
                        message.payload = "ping";
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        message.pong = $root.example.Pong.decode(reader, reader.size(), $undefined, _depth + 1, message.pong);
                        message.payload = "pong";
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        message.error = $root.example.ErrorReply.decode(reader, reader.size(), $undefined, _depth + 1, message.error);
                        message.payload = "error";
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Envelope;
    })();

    return example;
})();

export {
  $root as default
};
