import re
import socket, struct, subprocess, sys, json
def enc(name):
    out=b''
    # handle escapes minimal: use dig-like parsing for \. and \\ and \(
    labels=[]; cur=b''; i=0
    while i < len(name):
        c=name[i]
        if c=='\\':
            if name[i+1:i+4].isdigit():
                cur+=bytes([int(name[i+1:i+4])]); i+=4; continue
            cur+=name[i+1].encode(); i+=2; continue
        if c=='.':
            labels.append(cur); cur=b''; i+=1; continue
        cur+=c.encode(); i+=1
    if cur: labels.append(cur)
    for l in labels: out+=bytes([len(l)])+l
    return out+b'\0'
TYPES={'A':1,'NS':2,'CNAME':5,'SOA':6,'NULL':10,'PTR':12,'HINFO':13,'MX':15,'TXT':16,'RP':17,'AFSDB':18,'AAAA':28,'LOC':29,'SRV':33,'NAPTR':35,'DNAME':39,'DS':43,'SSHFP':44,'RRSIG':46,'NSEC':47,'DNSKEY':48,'NSEC3':50,'NSEC3PARAM':51,'TLSA':52,'CDS':59,'CDNSKEY':60,'SVCB':64,'HTTPS':65,'SPF':99,'URI':256,'CAA':257,'MB':7,'MG':8,'MR':9,'MINFO':14,'RT':21,'KX':36,'OPENPGPKEY':61,'SMIMEA':53,'DHCID':49,'EUI48':108,'EUI64':109,'ZONEMD':63,'CSYNC':62}
def tnum(t): return TYPES[t] if t in TYPES else int(t[4:])
cases=[l.split() for l in sys.stdin.read().strip().splitlines()]
res=[]
for name,t,*flags in cases:
    do = 'do' in flags
    q=struct.pack('>HHHHHH',0x1234,0,1,0,0,1)+enc(name)+struct.pack('>HH',tnum(t),1)
    q+=b'\0'+struct.pack('>HHIH',41,1232,0x8000 if do else 0,0)
    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(q,('127.0.0.1',53531)); r=s.recv(65535)
    args=['dig','@127.0.0.1','-p','53531','+noall','+answer','+authority','+norec',name,t]
    if do: args.append('+dnssec')
    out=subprocess.run(args,capture_output=True,text=True).stdout
    lines=[list(re.match(r'^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$',l).groups()) for l in out.splitlines() if l and not l.startswith(';')]
    res.append((name,t,r.hex(),lines))
json.dump(res,sys.stdout,indent=0)
