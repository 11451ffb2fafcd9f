# fish completion for sonde (installed as share/fish/vendor_completions.d/sonde.fish):
# options, and probe names after -e and -l from `sonde -l 'PREFIX*'`.

function __sonde_probes
    set -l word (commandline -ct | string replace -r '^[\'"]' '')
    if not string match -q '*:*' -- $word
        printf '%s\n' BEGIN END self:signal: tracepoint: rawtracepoint: uprobe: uretprobe: usdt: profile: interval: software: hardware: watchpoint: asyncwatchpoint: iter:
        return
    end
    sonde -l "$word*" 2>/dev/null
end

function __sonde_topics
    sonde --help-topic 2>/dev/null | string match -r '^  .*' | string trim | string split ' ' | string replace -a -r '[*()]' ''
end

complete -c sonde -s e -x -a '(__sonde_probes)' -d 'execute this program'
complete -c sonde -s l -l list -x -a '(__sonde_probes)' -d 'list probes matching a pattern'
complete -c sonde -s c -l cmd -x -a '(__fish_complete_command)' -d 'run CMD and trace until it exits'
complete -c sonde -s p -l pid -x -a '(__fish_complete_pids)' -d 'trace only events of process PID'
complete -c sonde -s o -l output -r -d 'write the output to FILE'
complete -c sonde -s f -x -a 'text json' -d 'output format'
complete -c sonde -s q -l quiet -d 'no "Attaching N probes..." line'
complete -c sonde -s k -d 'warn when a probe_read helper fails (-kk too)'
complete -c sonde -s v -l verbose -d 'verbose'
complete -c sonde -l no-warnings -d 'do not print warnings'
complete -c sonde -l probe-filter -x -d 'attach only the probes whose name matches REGEX'
complete -c sonde -s d -x -a 'ast types llvm bpf all' -d 'print a compiler stage'
complete -c sonde -l emit-llvm -r -d 'write the LLVM IR to FILE'
complete -c sonde -l emit-elf -r -d 'write the BPF object to FILE'
complete -c sonde -l dry-run -d 'compile, load and attach, then exit'
complete -c sonde -l unsafe -d 'allow functions that act on the system'
complete -c sonde -l usdt-file-activation -d 'accepted for bpftrace compatibility'
complete -c sonde -l include -r -d 'read header FILE before the script'
complete -c sonde -s i -l interactive -d 'the shell: type probes, run them until Ctrl-C'
complete -c sonde -l no-cache -d 'compile even when the compiled script is cached'
complete -c sonde -l aot -r -d 'write the compiled script to OUT and exit'
complete -c sonde -l metrics -x -d 'serve the maps for Prometheus at [ADDR:]PORT'
complete -c sonde -l help-topic -x -a '(__sonde_topics)' -d 'help on a builtin, function, aggregation or probe type'
complete -c sonde -l info -d 'system, build and kernel features; which probe types work'
complete -c sonde -s h -l help -d 'show the help'
complete -c sonde -s V -l version -d 'show the version'
