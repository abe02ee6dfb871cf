// Command etcd-check drives an etcd appliance with etcd's own Go client:
// the example's end-to-end test runs it on the host against the
// appliance's client port.
//
//	etcd-check -endpoint 127.0.0.1:2379 -n 1000 put      write k/0000..k/0999
//	etcd-check -endpoint 127.0.0.1:2379 -n 1000 get      read them back, exactly
//	etcd-check -endpoint 127.0.0.1:2379 -acked F stream  write s/<n> until etcd stops answering,
//	                                                     appending each acknowledged key to F
//	etcd-check -endpoint 127.0.0.1:2379 -acked F verify  every key in F is present
//	etcd-check -endpoint 127.0.0.1:2379 members          print the member names
//
// Flags come before the command.
//
// Each command prints one JSON line with what it did and exits non-zero
// when etcd does not hold what it should.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:2379", "etcd client address")
	n := flag.Int("n", 1000, "put, get: number of keys")
	acked := flag.String("acked", "", "stream, verify: file of acknowledged keys")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("want one command after the flags: put, get, stream, verify or members")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()
	ctx := context.Background()
	switch flag.Arg(0) {
	case "put":
		err = put(ctx, cli, *n)
	case "get":
		err = get(ctx, cli, *n)
	case "stream":
		err = stream(ctx, cli, *acked)
	case "verify":
		err = verify(ctx, cli, *acked)
	case "members":
		err = members(ctx, cli)
	default:
		fail("unknown command %q: put, get, stream, verify or members", flag.Arg(0))
	}
	if err != nil {
		fail("%s: %v", flag.Arg(0), err)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "etcd-check: "+format+"\n", a...)
	os.Exit(1)
}

func report(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func key(i int) string   { return fmt.Sprintf("k/%04d", i) }
func value(i int) string { return fmt.Sprintf("value-%d", i*7919) }

func put(ctx context.Context, cli *clientv3.Client, n int) error {
	start := time.Now()
	for i := range n {
		if _, err := cli.Put(ctx, key(i), value(i)); err != nil {
			return fmt.Errorf("put %s: %w", key(i), err)
		}
	}
	d := time.Since(start)
	report(map[string]any{"put": n, "seconds": d.Seconds(), "perSecond": float64(n) / d.Seconds()})
	return nil
}

func get(ctx context.Context, cli *clientv3.Client, n int) error {
	resp, err := cli.Get(ctx, "k/", clientv3.WithPrefix())
	if err != nil {
		return err
	}
	if len(resp.Kvs) != n {
		return fmt.Errorf("%d keys under k/, want %d", len(resp.Kvs), n)
	}
	for i, kv := range resp.Kvs {
		if string(kv.Key) != key(i) || string(kv.Value) != value(i) {
			return fmt.Errorf("key %d is %s=%s, want %s=%s", i, kv.Key, kv.Value, key(i), value(i))
		}
	}
	report(map[string]any{"get": n, "revision": resp.Header.Revision})
	return nil
}

// stream writes until it is killed or etcd stops answering; a key is
// appended to the acked file (and synced) only after etcd acknowledged it.
func stream(ctx context.Context, cli *clientv3.Client, ackedPath string) error {
	f, err := os.OpenFile(ackedPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	for i := 0; ; i++ {
		k := fmt.Sprintf("s/%06d", i)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := cli.Put(cctx, k, "acked")
		cancel()
		if err != nil {
			report(map[string]any{"stream": i, "stoppedBy": err.Error()})
			return nil
		}
		if _, err := fmt.Fprintln(f, k); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
	}
}

func verify(ctx context.Context, cli *clientv3.Client, ackedPath string) error {
	f, err := os.Open(ackedPath)
	if err != nil {
		return err
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s lists no acknowledged keys: the stream wrote nothing", ackedPath)
	}
	for _, k := range keys {
		resp, err := cli.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("get %s: %w", k, err)
		}
		if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "acked" {
			return fmt.Errorf("acknowledged key %s is missing after the crash", k)
		}
	}
	report(map[string]any{"verified": len(keys)})
	return nil
}

func members(ctx context.Context, cli *clientv3.Client) error {
	resp, err := cli.MemberList(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, m := range resp.Members {
		names = append(names, m.Name)
	}
	report(map[string]any{"members": names})
	return nil
}
