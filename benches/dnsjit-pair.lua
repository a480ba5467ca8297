#!/usr/bin/env dnsjit
-- Peer benchmark for dnslens (issue 6): read a pcap with dnsjit (DNS-OARC, LuaJIT),
-- parse each DNS header, and pair queries with responses in a hash table keyed on
-- (ID, client address and port, server address and port). Prints counts and the mean
-- response time.
--
--   dnsjit benches/dnsjit-pair.lua FILE.pcap [question]
--
-- With "question", each message's first question is parsed too (name labels, type,
-- class), as a dnsjit tool that reports names would; without it, header only.
-- Like dnsjit itself: no records, no TCP reassembly (the
-- first message of each TCP segment is read, behind its 2-byte length), no IP
-- fragment reassembly. A repeated query with the same key replaces the earlier one.
local file = arg[2]
if file == nil then
    print("usage: " .. arg[1] .. " FILE.pcap")
    os.exit(2)
end

local ffi = require("ffi")
local object = require("dnsjit.core.objects")
local input = require("dnsjit.input.fpcap").new()
local layer = require("dnsjit.filter.layer").new()
local dns = require("dnsjit.core.object.dns").new()
local with_q = arg[3] == "question"
local labels = require("dnsjit.core.object.dns.label").new(127)
local q = require("dnsjit.core.object.dns.q").new()
local nq = 0

if input:open(file) ~= 0 then
    io.stderr:write("cannot open " .. file .. "\n")
    os.exit(1)
end
layer:producer(input)
local producer, ctx = layer:produce()

local IP, IP6, UDP, TCP, PCAP = object.IP, object.IP6, object.UDP, object.TCP, object.PCAP

-- Key bytes: client addr (16) | server addr (16) | client port (2) | server port (2) | id (2) | proto (1)
local key = ffi.new("uint8_t[39]")
local pending = {} -- key -> query time (seconds, float)
local npending = 0
local messages, queries, responses, answered, unsolicited, other = 0, 0, 0, 0, 0, 0
local rtt_sum = 0.0

local function put16(off, v)
    key[off] = bit.rshift(v, 8)
    key[off + 1] = bit.band(v, 0xff)
end

while true do
    local obj = producer(ctx)
    if obj == nil then break end
    if obj.obj_type == object.PAYLOAD then
        local pl = ffi.cast("core_object_payload_t*", obj)
        local t = obj.obj_prev
        local ip, tr, pc
        while t ~= nil do
            local ty = t.obj_type
            if ty == UDP or ty == TCP then tr = t
            elseif ty == IP or ty == IP6 then ip = t
            elseif ty == PCAP then pc = t; break end
            t = t.obj_prev
        end
        if ip ~= nil and tr ~= nil and pl.len > 0 then
            local is_tcp = tr.obj_type == TCP
            dns.obj_prev = obj
            dns.includes_dnslen = is_tcp and 1 or 0
            if dns:parse_header() == 0 then
                messages = messages + 1
                if with_q and dns.qdcount > 0 and dns:parse_q(q, labels, 127) == 0 then
                    nq = nq + 1
                end
                local sport, dport
                if is_tcp then
                    local x = ffi.cast("core_object_tcp_t*", tr); sport, dport = x.sport, x.dport
                else
                    local x = ffi.cast("core_object_udp_t*", tr); sport, dport = x.sport, x.dport
                end
                local src, dst, alen
                if ip.obj_type == IP then
                    local x = ffi.cast("core_object_ip_t*", ip); src, dst, alen = x.src, x.dst, 4
                else
                    local x = ffi.cast("core_object_ip6_t*", ip); src, dst, alen = x.src, x.dst, 16
                end
                ffi.fill(key, 39)
                local p = ffi.cast("core_object_pcap_t*", pc)
                local ts = tonumber(p.ts.sec) + tonumber(p.ts.nsec) * 1e-9
                if dns.qr == 0 then
                    queries = queries + 1
                    ffi.copy(key, src, alen); ffi.copy(key + 16, dst, alen)
                    put16(32, sport); put16(34, dport)
                    put16(36, dns.id); key[38] = is_tcp and 1 or 0
                    local k = ffi.string(key, 39)
                    if pending[k] == nil then npending = npending + 1 end
                    pending[k] = ts
                else
                    responses = responses + 1
                    ffi.copy(key, dst, alen); ffi.copy(key + 16, src, alen)
                    put16(32, dport); put16(34, sport)
                    put16(36, dns.id); key[38] = is_tcp and 1 or 0
                    local k = ffi.string(key, 39)
                    local qts = pending[k]
                    if qts ~= nil then
                        answered = answered + 1
                        rtt_sum = rtt_sum + (ts - qts)
                        pending[k] = nil
                        npending = npending - 1
                    else
                        unsolicited = unsolicited + 1
                    end
                end
            else
                other = other + 1
            end
        end
    end
end

if with_q then io.write(string.format("questions-parsed %d ", nq)) end
print(string.format("messages %d queries %d responses %d answered %d unanswered %d unsolicited %d not-dns %d mean-rtt-us %.1f",
    messages, queries, responses, answered, npending, unsolicited, other,
    answered > 0 and rtt_sum / answered * 1e6 or 0))
